// write_path_probe: measures the two ways of landing chunk records in
// /payload in chunk order under MPI (docs/mpi.md, "Measured: rank-0 writer vs
// collective parallel HDF5"). A developer tool, not part of lmarc:
//
//   mpirun -np N build/mpi/write_path_probe DIR [RECORDS=256] [WINDOW=16]
//
// Records have deterministic sizes of 0.5–1.5 MiB and contents, owned
// round-robin by the ranks. (a) rank-0 writer: owners send records to rank 0,
// which appends them with serial HDF5 (sec2, extendible, 1 MiB chunks), like
// io/archive_writer.cc. (b) collective: per window of WINDOW records the
// ranks exchange their record sizes (MPI_Allgather), derive offsets in chunk
// order, extend the dataset and write their records with one collective
// H5FD_MPIO write. Prints the best of 3 runs of each and checks that both
// files hold identical bytes.
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/h5_handle.h"
#include "src/checksum.h"

namespace {

int rank_ = 0, size_ = 1;

// Bytes of record i: 512 KiB + a hash-spread amount below 1 MiB.
uint64_t RecordSize(uint64_t i) {
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return (512u << 10) + x % (1u << 20);
}
// Appends record i's (deterministic, mildly varied) bytes to *out.
void Fill(uint64_t i, std::vector<uint8_t>* out) {
  const uint64_t n = RecordSize(i);
  const size_t old = out->size();
  out->resize(old + n);
  for (uint64_t j = 0; j < n; ++j) (*out)[old + j] = static_cast<uint8_t>(i * 131 + j * 7 + (j >> 9));
}

// An archive-like file holding an empty extendible /payload of 1 MiB chunks
// (serial sec2 driver, or MPI-IO for every rank when `collective`).
struct PayloadFile {
  lmarc::H5Id file;
  lmarc::H5Id dataset;
};

PayloadFile CreatePayloadFile(const std::string& path, bool collective) {
  lmarc::H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (collective) H5Pset_fapl_mpio(fapl.get(), MPI_COMM_WORLD, MPI_INFO_NULL);
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110);
  PayloadFile out;
  out.file = lmarc::H5Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  const hsize_t dims[1] = {0}, max_dims[1] = {H5S_UNLIMITED}, chunk[1] = {1 << 20};
  lmarc::H5Id space(H5Screate_simple(1, dims, max_dims), H5Sclose);
  lmarc::H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), 1, chunk);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  // Parallel HDF5 requires early allocation for collective writes.
  if (collective) H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  out.dataset = lmarc::H5Id(H5Dcreate2(out.file.get(), "payload", H5T_STD_U8LE, space.get(), H5P_DEFAULT,
                                       dcpl.get(), H5P_DEFAULT),
                            H5Dclose);
  return out;
}

double RankZeroWriter(const std::string& path, uint64_t records) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  if (rank_ == 0) {
    const PayloadFile payload = CreatePayloadFile(path, /*collective=*/false);
    const hid_t ds = payload.dataset.get();
    uint64_t written = 0;
    std::vector<uint8_t> rec;
    for (uint64_t i = 0; i < records; ++i) {
      rec.clear();
      const int owner = static_cast<int>(i % size_);
      if (owner == 0) {
        Fill(i, &rec);
      } else {
        rec.resize(RecordSize(i));
        MPI_Recv(rec.data(), static_cast<int>(rec.size()), MPI_BYTE, owner, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
      hsize_t nd[1] = {written + rec.size()};
      H5Dset_extent(ds, nd);
      hid_t fs = H5Dget_space(ds);
      hsize_t st[1] = {written}, ct[1] = {rec.size()};
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, nullptr, ct, nullptr);
      hid_t ms = H5Screate_simple(1, ct, nullptr);
      H5Dwrite(ds, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, rec.data());
      H5Sclose(ms);
      H5Sclose(fs);
      written += rec.size();
    }
  } else {
    std::vector<uint8_t> rec;
    for (uint64_t i = rank_; i < records; i += size_) {
      rec.clear();
      Fill(i, &rec);
      MPI_Send(rec.data(), static_cast<int>(rec.size()), MPI_BYTE, 0, 7, MPI_COMM_WORLD);
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return MPI_Wtime() - start;
}

double Collective(const std::string& path, uint64_t records, uint64_t window) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  {
  const PayloadFile payload = CreatePayloadFile(path, /*collective=*/true);
  const hid_t ds = payload.dataset.get();
  lmarc::H5Id transfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE);
  const hid_t dxpl = transfer.get();
  uint64_t written = 0;
  for (uint64_t first = 0; first < records; first += window) {
    const uint64_t last = std::min(records, first + window);
    // Sizes become known after compression: exchange them (each rank its own).
    std::vector<uint64_t> mine(window, 0), all(window * size_, 0);
    for (uint64_t i = first; i < last; ++i) {
      if (static_cast<int>(i % size_) == rank_) mine[i - first] = RecordSize(i);
    }
    MPI_Allgather(mine.data(), static_cast<int>(window), MPI_UINT64_T, all.data(), static_cast<int>(window),
                  MPI_UINT64_T, MPI_COMM_WORLD);
    std::vector<uint64_t> sizes(window, 0);
    for (int r = 0; r < size_; ++r)
      for (uint64_t k = 0; k < window; ++k) sizes[k] += all[r * window + k];
    uint64_t end = written;
    for (uint64_t k = 0; k < last - first; ++k) end += sizes[k];
    hsize_t nd[1] = {end};
    H5Dset_extent(ds, nd);
    hid_t fs = H5Dget_space(ds);
    H5Sselect_none(fs);
    std::vector<uint8_t> buffer;
    uint64_t offset = written;
    for (uint64_t i = first; i < last; ++i) {
      if (static_cast<int>(i % size_) == rank_) {
        hsize_t st[1] = {offset}, ct[1] = {sizes[i - first]};
        H5Sselect_hyperslab(fs, H5S_SELECT_OR, st, nullptr, ct, nullptr);
        Fill(i, &buffer);
      }
      offset += sizes[i - first];
    }
    hsize_t mdims[1] = {std::max<uint64_t>(buffer.size(), 1)};
    hid_t ms = H5Screate_simple(1, mdims, nullptr);
    if (buffer.empty()) { H5Sselect_none(ms); buffer.resize(1); }
    if (H5Dwrite(ds, H5T_NATIVE_UINT8, ms, fs, dxpl, buffer.data()) < 0) std::fprintf(stderr, "rank %d: write failed\n", rank_);
    H5Sclose(ms);
    H5Sclose(fs);
    written = end;
  }
  }  // every rank closes the file (collectively) here
  MPI_Barrier(MPI_COMM_WORLD);
  return MPI_Wtime() - start;
}

uint64_t Digest(const std::string& path, uint64_t* bytes) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ds = H5Dopen2(file, "payload", H5P_DEFAULT);
  hid_t fs = H5Dget_space(ds);
  hsize_t n[1];
  H5Sget_simple_extent_dims(fs, n, nullptr);
  std::vector<uint8_t> all(n[0]);
  H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data());
  H5Sclose(fs); H5Dclose(ds); H5Fclose(file);
  *bytes = n[0];
  return lmarc::Xxh64(all);
}

}  // namespace

int main(int argc, char** argv) {
  int provided;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  const std::string dir = argc > 1 ? argv[1] : ".";
  const uint64_t records = argc > 2 ? std::atoll(argv[2]) : 256;
  const uint64_t window = argc > 3 ? std::atoll(argv[3]) : 16;
  double best_a = 1e9, best_b = 1e9;
  for (int run = 0; run < 3; ++run) {
    best_a = std::min(best_a, RankZeroWriter(dir + "/a.h5", records));
    best_b = std::min(best_b, Collective(dir + "/b.h5", records, window));
  }
  if (rank_ == 0) {
    uint64_t na = 0, nb = 0;
    const uint64_t ha = Digest(dir + "/a.h5", &na), hb = Digest(dir + "/b.h5", &nb);
    const double mb = na / 1e6;
    std::printf("ranks %d records %llu window %llu: %.1f MB, identical %s\n", size_, (unsigned long long)records,
                (unsigned long long)window, mb, (ha == hb && na == nb) ? "yes" : "NO");
    std::printf("  rank-0 writer: %.3f s %.0f MB/s\n  collective   : %.3f s %.0f MB/s\n", best_a, mb / best_a, best_b, mb / best_b);
  }
  MPI_Finalize();
  return 0;
}
