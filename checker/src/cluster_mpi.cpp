// One search over the ranks of an MPI job (cluster.hpp), on Open MPI or any MPI-3 library.
//
// Rank 0 is the searching process: its Remote is every thread of the other ranks (each rank tells
// rank 0 how many it has when it joins). Every other rank runs its threads as slots
// (serve_branches) and carries their messages from its main thread. Only the main thread of a
// process calls MPI (MPI_THREAD_FUNNELED); sends do not block (a rank that sends while the other
// sends to it never waits for it), and the search's end is a handshake: rank 0 says close, takes
// every report still under way, and each rank answers closed once all it sent has left.
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "checker/cluster.hpp"
#include "checker/slot_queues.hpp"

namespace vcpucheck::checker {

namespace {

enum Tag : int { kMessage = 1, kClose, kClosed };

bool launched() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

void pause() { std::this_thread::sleep_for(std::chrono::microseconds(20)); }

// A slot's message on the wire: the thread (of the rank it goes to or comes from), its kind and
// id, then its bytes.
std::string framed(uint32_t thread, const RemoteMessage& m) {
  std::string s(13, '\0');
  std::memcpy(s.data(), &thread, 4);
  s[4] = static_cast<char>(m.kind);
  std::memcpy(s.data() + 5, &m.id, 8);
  return s + m.bytes;
}

std::pair<uint32_t, RemoteMessage> unframed(const std::string& s) {
  if (s.size() < 13) throw std::runtime_error("MPI: a message shorter than its header");
  uint32_t t;
  std::memcpy(&t, s.data(), 4);
  RemoteMessage m;
  if (static_cast<uint8_t>(s[4]) > static_cast<uint8_t>(RemoteMessage::Kind::Changed))
    throw std::runtime_error("MPI: a message of no known kind");
  m.kind = static_cast<RemoteMessage::Kind>(s[4]);
  std::memcpy(&m.id, s.data() + 5, 8);
  m.bytes = s.substr(13);
  return {t, std::move(m)};
}

// Sends that do not block: each buffer lives until its send completes.
class Outbox {
 public:
  void send(int to, int tag, std::string bytes) {
    pending_.push_back(Pending{std::move(bytes), MPI_REQUEST_NULL});
    Pending& p = pending_.back();
    check(MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, to, tag, MPI_COMM_WORLD, &p.req), "send");
  }
  void progress() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      check(MPI_Test(&it->req, &done, MPI_STATUS_IGNORE), "test");
      it = done ? pending_.erase(it) : std::next(it);
    }
  }
  bool empty() const { return pending_.empty(); }

 private:
  struct Pending {
    std::string bytes;
    MPI_Request req;
  };
  std::list<Pending> pending_;  // a list: the buffers do not move
};

// A message that has arrived from `source` (MPI_ANY_SOURCE) with `tag` (MPI_ANY_TAG), if any.
bool poll(int source, int tag, MPI_Status& st, std::string& bytes) {
  int flag = 0;
  check(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &st), "probe");
  if (!flag) return false;
  int n = 0;
  check(MPI_Get_count(&st, MPI_BYTE, &n), "count");
  bytes.assign(static_cast<size_t>(n), '\0');
  check(MPI_Recv(bytes.data(), n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receive");
  return true;
}

class MpiCluster final : public Cluster, public Remote {
 public:
  explicit MpiCluster(unsigned threads) : threads_(std::max(threads, 1u)) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "init");
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw std::runtime_error("MPI: this MPI library cannot be used by a process with threads (MPI_THREAD_FUNNELED)");
    }
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "size");
    // Each rank's threads: rank 0 numbers the slots rank by rank.
    std::vector<uint32_t> all(static_cast<size_t>(size_));
    check(MPI_Gather(&threads_, 1, MPI_UINT32_T, all.data(), 1, MPI_UINT32_T, 0, MPI_COMM_WORLD), "gather");
    check(MPI_Bcast(all.data(), size_, MPI_UINT32_T, 0, MPI_COMM_WORLD), "broadcast");
    first_.assign(static_cast<size_t>(size_) + 1, 0);
    for (int r = 1; r < size_; ++r) {
      first_[size_t(r) + 1] = first_[size_t(r)] + all[size_t(r)];
      if (rank_ == 0)
        for (uint32_t t = 0; t < all[size_t(r)]; ++t) where_.emplace_back(r, t);
    }
    if (first_.back() >= (1u << 19)) throw std::runtime_error("MPI: more than 2^19 threads in the job");
  }
  ~MpiCluster() override {
    try {
      if (rank_ == 0 && used_) close();
    } catch (...) {  // finalizing anyway
    }
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Remote& remote() override { return *this; }

  unsigned slots() const override { return static_cast<unsigned>(where_.size()); }
  void post(unsigned slot, RemoteMessage m) override {
    used_ = true;
    const auto [r, t] = where_.at(slot);
    out_.send(r, kMessage, framed(t, m));
  }
  std::optional<std::pair<unsigned, RemoteMessage>> receive() override {
    used_ = true;
    out_.progress();
    MPI_Status st;
    std::string bytes;
    if (!poll(MPI_ANY_SOURCE, kMessage, st, bytes)) return std::nullopt;
    auto [t, m] = unframed(bytes);
    const int r = st.MPI_SOURCE;
    if (r <= 0 || r >= size_ || t >= first_[size_t(r) + 1] - first_[size_t(r)])
      throw std::runtime_error("MPI: a message from a thread that does not exist");
    return std::make_pair(first_[size_t(r)] + t, std::move(m));
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    for (int r = 1; r < size_; ++r) out_.send(r, kClose, "");
    // Reports still under way are taken (and dropped) before each rank's answer: messages from
    // one rank arrive in the order it sent them.
    int answered = 0;
    while (answered < size_ - 1 || !out_.empty()) {
      out_.progress();
      MPI_Status st;
      std::string bytes;
      if (poll(MPI_ANY_SOURCE, MPI_ANY_TAG, st, bytes)) {
        if (st.MPI_TAG == kClosed) ++answered;
      } else {
        pause();
      }
    }
  }

  void serve(const Setup& setup, const ExploreOptions& o) override {
    SlotQueues slots(threads_, first_[size_t(rank_)]);
    std::vector<std::thread> threads;
    std::exception_ptr failed;
    std::mutex fm;
    for (unsigned k = 0; k < slots.size(); ++k)
      threads.emplace_back([&, k] {
        try {
          serve_branches(setup, o, slots.slot(k));
        } catch (...) {
          std::lock_guard<std::mutex> g(fm);
          if (!failed) failed = std::current_exception();
        }
      });
    try {
      for (bool open = true; open;) {
        bool busy = false;
        out_.progress();
        MPI_Status st;
        std::string bytes;
        while (open && poll(0, MPI_ANY_TAG, st, bytes)) {
          busy = true;
          if (st.MPI_TAG == kMessage) {
            auto [t, m] = unframed(bytes);
            slots.give(t, std::move(m));
          } else if (st.MPI_TAG == kClose) {
            open = false;
          }
        }
        if (open)
          for (auto& [t, m] : slots.take_posted()) {
            busy = true;
            out_.send(0, kMessage, framed(t, m));
          }
        if (!busy) pause();
      }
    } catch (...) {
      slots.close();
      for (std::thread& t : threads) t.join();
      throw;
    }
    slots.close();
    for (std::thread& t : threads) t.join();
    while (!out_.empty()) {  // rank 0 takes them
      out_.progress();
      pause();
    }
    check(MPI_Send(nullptr, 0, MPI_BYTE, 0, kClosed, MPI_COMM_WORLD), "send");
    if (failed) std::rethrow_exception(failed);
  }

 private:
  uint32_t threads_;
  int rank_ = 0, size_ = 1;
  std::vector<std::pair<int, uint32_t>> where_;  // rank 0: each slot's rank and thread
  std::vector<unsigned> first_;                  // each rank's first slot
  Outbox out_;
  bool used_ = false, closed_ = false;
};

}  // namespace

bool cluster_built() { return true; }

std::unique_ptr<Cluster> Cluster::join(unsigned threads) {
  if (!launched()) return nullptr;
  return std::make_unique<MpiCluster>(threads);
}

}  // namespace vcpucheck::checker
