#include "io/openfoam_field.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "io/unique_fd.h"

namespace lmarc {
namespace {

constexpr size_t kHeaderSearchBytes = 4096;

// The value of `key` in the FoamFile header ("binary" for "format binary;"),
// "" when absent. Values end at ';'.
std::string_view HeaderValue(std::string_view header, std::string_view key) {
  for (size_t at = header.find(key); at != std::string_view::npos; at = header.find(key, at + 1)) {
    const bool starts_word = at == 0 || header[at - 1] == ' ' || header[at - 1] == '\n' || header[at - 1] == '\t';
    const size_t after = at + key.size();
    if (!starts_word || after >= header.size() || (header[after] != ' ' && header[after] != '\t')) continue;
    const size_t end = header.find(';', after);
    if (end == std::string_view::npos) return "";
    std::string_view value = header.substr(after, end - after);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.front() == '"')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '"')) value.remove_suffix(1);
    return value;
  }
  return "";
}

// Components of a field type name, 0 if unknown.
uint64_t Components(std::string_view type) {
  if (type == "scalar") return 1;
  if (type == "vector") return 3;
  if (type == "sphericalTensor") return 1;
  if (type == "symmTensor") return 6;
  if (type == "tensor") return 9;
  return 0;
}

struct ListType {
  bool label = false;       // labels (integers) rather than scalars
  uint64_t components = 0;  // per element; 0: not a list lmarc types
};

// What the text right before a list's count says about its elements:
// "List<T>" (possibly after "nonuniform"), else the file's class.
ListType TypeBefore(std::string_view text, size_t count_start, std::string_view file_class) {
  size_t end = count_start;
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\n' || text[end - 1] == '\t' || text[end - 1] == '\r')) --end;
  if (end > 0 && text[end - 1] == '>') {
    const size_t open = text.rfind("List<", end);
    if (open != std::string_view::npos && end - open < 40) {
      const std::string_view type = text.substr(open + 5, end - 1 - (open + 5));
      if (type == "label") return {true, 1};
      return {false, Components(type)};
    }
    return {};
  }
  // A top-level list: the whole file is one (or, for faces, two) lists.
  if (file_class == "vectorField") return {false, 3};
  if (file_class == "scalarField") return {false, 1};
  if (file_class == "labelList" || file_class == "faceCompactList") return {true, 1};
  return {};
}

}  // namespace

bool HasOpenFoamHeader(std::span<const uint8_t> head) {
  const std::string_view text(reinterpret_cast<const char*>(head.data()), std::min(head.size(), kHeaderSearchBytes));
  return text.find("FoamFile") != std::string_view::npos;
}

StatusOr<std::vector<TypedRegion>> LocateOpenFoamLists(const std::string& path, uint64_t file_bytes) {
  std::vector<TypedRegion> regions;
  if (file_bytes == 0) return regions;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return IoError("cannot open for array scanning");
  void* mapped = mmap(nullptr, file_bytes, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (mapped == MAP_FAILED) return IoError("cannot map for array scanning");
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { munmap(p, n); }
  } unmap{mapped, file_bytes};
  const std::string_view text(static_cast<const char*>(mapped), file_bytes);

  const size_t header_start = text.substr(0, kHeaderSearchBytes).find("FoamFile");
  if (header_start == std::string_view::npos) return regions;
  const size_t header_end = text.find('}', header_start);
  if (header_end == std::string_view::npos || header_end - header_start > kHeaderSearchBytes) {
    return Corrupt("OpenFOAM header without its closing brace");
  }
  const std::string_view header = text.substr(header_start, header_end - header_start);
  if (HeaderValue(header, "format") != "binary") return regions;
  const std::string_view arch = HeaderValue(header, "arch");
  if (arch.find("LSB") == std::string_view::npos) return regions;  // big-endian or unknown: bytes
  const bool label64 = arch.find("label=64") != std::string_view::npos;
  const bool scalar32 = arch.find("scalar=32") != std::string_view::npos;
  const std::string_view file_class = HeaderValue(header, "class");
  const std::string object(HeaderValue(header, "object"));

  uint64_t ordinal = 0;
  size_t at = header_end;
  while (true) {
    // The next "\n<digits>\n(" or "<digits>(" after whitespace: a list's count.
    const size_t paren = text.find('(', at);
    if (paren == std::string_view::npos) break;
    size_t digits_end = paren;
    while (digits_end > at && (text[digits_end - 1] == '\n' || text[digits_end - 1] == ' ' || text[digits_end - 1] == '\r')) --digits_end;
    size_t digits_start = digits_end;
    while (digits_start > at && digits_start + 19 > digits_end && text[digits_start - 1] >= '0' && text[digits_start - 1] <= '9') {
      --digits_start;
    }
    at = paren + 1;
    if (digits_start == digits_end) continue;
    uint64_t count = 0;
    for (size_t i = digits_start; i < digits_end; ++i) count = count * 10 + static_cast<uint64_t>(text[i] - '0');
    const ListType type = TypeBefore(text, digits_start, file_class);
    if (type.components == 0 || count == 0) continue;
    const uint64_t element = type.label ? (label64 ? 8 : 4) : (scalar32 ? 4 : 8);
    const uint64_t data = paren + 1;
    if (count > (file_bytes - data) / (element * type.components)) continue;  // cannot be this list
    const uint64_t bytes = count * element * type.components;
    if (data + bytes >= file_bytes || text[data + bytes] != ')') continue;
    TypedRegion region;
    region.offset = data;
    region.layout.dtype = type.label ? (label64 ? array::DType::kI64 : array::DType::kI32)
                                     : (scalar32 ? array::DType::kF32 : array::DType::kF64);
    region.layout.shape = type.components == 1 ? std::vector<uint64_t>{count}
                                               : std::vector<uint64_t>{count, type.components};
    region.dataset = "/" + object + "/" + std::to_string(ordinal++);
    region.start.assign(region.layout.shape.size(), 0);
    region.dataset_shape = region.layout.shape;
    regions.push_back(std::move(region));
    at = data + bytes + 1;  // past the binary block: its bytes are never scanned as text
  }
  return regions;
}

}  // namespace lmarc
