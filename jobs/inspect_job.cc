// `lmarc list` and `lmarc verify`.
#include <cstdio>
#include <ctime>
#include <map>

#include "io/archive_reader.h"
#include "model/codecs.h"
#include "mpi/runtime.h"
#include "jobs/decompress_job.h"

namespace lmarc {
namespace {

char KindLetter(EntryKind kind) {
  switch (kind) {
    case EntryKind::kRegular: return '-';
    case EntryKind::kDirectory: return 'd';
    case EntryKind::kSymlink: return 'l';
    case EntryKind::kHardlink: return 'h';
  }
  return '?';
}

std::string FormatLine(const char* format, auto... args) {
  char line[512];
  std::snprintf(line, sizeof(line), format, args...);
  return line;
}

std::string Ratio(uint64_t raw, uint64_t packed) {
  return packed == 0 ? "-" : FormatLine("%.3f", static_cast<double>(raw) / static_cast<double>(packed));
}

}  // namespace

Status RunList(const std::string& archive, std::ostream& out) {
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(archive, &BuiltinCodecs()));
  for (const FileEntry& e : reader->entries()) {
    const std::time_t seconds = static_cast<std::time_t>(e.mtime_sec);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char when[32];
    std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &utc);
    out << FormatLine("%c%04o %5u/%-5u %14llu %s ", KindLetter(e.kind), e.mode, e.uid, e.gid,
                      static_cast<unsigned long long>(e.size), when)
        << e.path;
    if (e.kind == EntryKind::kSymlink) out << " -> " << e.link_target;
    if (e.kind == EntryKind::kHardlink) out << " link to " << e.link_target;
    out << '\n';
  }
  struct CodecTotals {
    uint64_t chunks = 0, raw = 0, payload = 0;
  };
  std::map<uint16_t, CodecTotals> by_codec;
  uint64_t payload = 0;
  for (const ChunkRow& row : reader->chunks()) {
    CodecTotals& t = by_codec[row.codec];
    ++t.chunks;
    t.raw += row.raw_size;
    t.payload += row.payload_size;
    payload += row.payload_size;
  }
  out << "\n"
      << FormatLine("entries %zu, chunks %zu (chunk size %llu), raw %llu bytes, payload %llu bytes, ratio %s\n",
                    reader->entries().size(), reader->chunks().size(),
                    static_cast<unsigned long long>(reader->attributes().chunk_size),
                    static_cast<unsigned long long>(reader->stream_size()),
                    static_cast<unsigned long long>(payload), Ratio(reader->stream_size(), payload).c_str());
  out << FormatLine("%-8s %8s %14s %14s %8s\n", "codec", "chunks", "raw", "payload", "ratio");
  for (const auto& [id, t] : by_codec) {
    const Codec* codec = BuiltinCodecs().Find(static_cast<CodecId>(id));
    const std::string name = codec ? std::string(codec->name()) : "id " + std::to_string(id);
    out << FormatLine("%-8s %8llu %14llu %14llu %8s\n", name.c_str(),
                      static_cast<unsigned long long>(t.chunks), static_cast<unsigned long long>(t.raw),
                      static_cast<unsigned long long>(t.payload), Ratio(t.raw, t.payload).c_str());
  }
  return Status::Ok();
}

Status RunVerify(const VerifyOptions& options, std::ostream& out) {
  RETURN_IF_ERROR(options.threads < 1 || options.threads > 1024
                      ? InvalidArgument("--threads must be between 1 and 1024")
                      : Status::Ok());
  VerifySummary summary;
  RETURN_IF_ERROR(ParallelVerify(options, &summary));
  if (MpiRuntime::rank() == 0 && !options.reporting.quiet) {
    out << options.archive << ": OK ("
        << (options.quick ? "structure and payload checksums, " : "decoded, ") << summary.chunks
        << " chunks, " << summary.raw_bytes << " bytes)\n";
  }
  return Status::Ok();
}

}  // namespace lmarc
