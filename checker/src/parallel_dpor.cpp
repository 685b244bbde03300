#include "checker/parallel_dpor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "checker/branch_codec.hpp"
#include "checker/dpor.hpp"
#include "checker/remote_branches.hpp"

namespace vcpucheck::checker {

namespace {

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

struct Task {
  uint64_t id = 0;
  uint64_t parent = 0;  // 0 for the root
  uint32_t depth = 0;   // in the tree of tasks
  std::unique_ptr<Dpor> dpor;      // the root's explores everything, the others a branch
  std::unique_ptr<Search> search;  // runs its executions (and counts them, in the root)
  std::vector<ExecutionSummary> done;  // not the root: executions not yet adopted, in order
  std::vector<uint64_t> children;      // branches it handed out, not yet adopted or dropped
  enum class State { Ready, Running, Waiting, Finished } state = State::Ready;
  std::atomic<bool> cancelled{false};
  uint64_t waiting_for = 0;  // the branch it waits to adopt
  bool more = true;      // its Dpor has more to explore
  bool stopped = false;  // ended before its subtree was explored (a violation, an interrupt)
  uint64_t ran = 0;      // executions it ran
  bool fresh = true;     // nobody has run it yet: it may go to another process
  // Explored by another process (remote_branches.hpp): its slot, and what it reported.
  int remote = -1;
  bool told = false;  // the slot was asked to drop it
  std::optional<Dpor::Branch> branch;  // kept until it is sent
  std::optional<Dpor::Result> result;
  LockOrderGraph graph;
  const LockOrderGraph& lock_order() const { return remote >= 0 ? graph : search->lock_order(); }
};

class Pool {
 public:
  Pool(const Setup& setup, const ExploreOptions& o, unsigned jobs, bool eager, Remote* remote)
      : setup_(setup), o_(o), jobs_(jobs), eager_(eager), remote_(remote), started_(jobs) {
    if (remote_) {
      slot_.assign(remote_->slots(), SlotState{});
      remote_idle_ = remote_->slots();
    }
    auto root = std::make_unique<Task>();
    root->id = next_id_++;
    root->dpor = std::make_unique<Dpor>();
    root->search = std::make_unique<Search>(*root->dpor, setup, o);
    root_ = root.get();
    make_ready(*root);
    tasks_.emplace(root->id, std::move(root));
  }

  ExploreResult run(ParallelStats* stats) {
    {
      std::lock_guard<std::mutex> g(m_);
      for (unsigned k = 0; k < jobs_; ++k) threads_.emplace_back([this] { worker_main(); });
    }
    if (remote_) serve_remote();  // on this thread, until the search is over
    for (;;) {  // threads may be added while it runs (grow)
      std::thread t;
      {
        std::lock_guard<std::mutex> g(m_);
        if (threads_.empty()) break;
        t = std::move(threads_.back());
        threads_.pop_back();
      }
      t.join();
    }
    if (error_) std::rethrow_exception(error_);
    if (stats) *stats = stats_;
    return root_->search->finish();  // the root is never dropped
  }

 private:
  void worker_main() {
    try {
      Worker w(o_.stack_size);
      std::unique_lock<std::mutex> lock(m_);
      for (;;) {
        Task* t = nullptr;
        while (!over_ && !(t = next_ready())) {
          hungry_.fetch_add(1);
          const auto since = std::chrono::steady_clock::now();
          // Work usually comes within an execution or two: spin for it a while before sleeping,
          // since waking a sleeping thread takes longer than a short execution.
          const uint64_t seen = readied_.load();
          lock.unlock();
          for (int k = 0; k < 20000 && readied_.load(std::memory_order_relaxed) == seen && !over_; ++k)
            relax();
          lock.lock();
          if (readied_.load() == seen && !over_) cv_.wait(lock);
          stats_.idle_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
          hungry_.fetch_sub(1);
        }
        if (over_) return;
        t->state = Task::State::Running;
        lock.unlock();
        drive(*t, w);
        lock.lock();
      }
    } catch (...) {
      std::lock_guard<std::mutex> g(m_);
      if (!error_) error_ = std::current_exception();
      over_ = true;
      cv_.notify_all();
    }
  }

  // The most senior ready task: nearest the root, then the oldest. Under m_.
  Task* next_ready() {
    if (ready_.empty()) return nullptr;
    Task* t = find(ready_.begin()->second);
    ready_.erase(ready_.begin());
    t->fresh = false;
    return t;
  }

  // The most senior ready task nobody has run, for another process. Under m_.
  Task* next_fresh() {
    for (auto it = ready_.begin(); it != ready_.end(); ++it)
      if (Task* t = find(it->second); t && t->fresh && !is_root(*t)) {
        ready_.erase(it);
        t->fresh = false;
        return t;
      }
    return nullptr;
  }

  using Kind = RemoteMessage::Kind;
  using Posts = std::vector<std::pair<unsigned, RemoteMessage>>;

  // The other processes' slots, served from this thread: free slots get fresh branches, busy
  // ones are asked for branches while workers are idle, their messages are answered as a
  // worker's task would be (parallel_dpor.cpp, drive and adopt).
  void serve_remote() {
    try {
      while (!over_) {
        Posts out;
        {
          std::lock_guard<std::mutex> g(m_);
          plan_remote(out);
        }
        bool busy = !out.empty();
        for (auto& [k, m] : out) remote_->post(k, std::move(m));
        while (auto got = remote_->receive()) {
          busy = true;
          Posts replies;
          {
            std::lock_guard<std::mutex> g(m_);
            on_message(got->first, std::move(got->second), replies);
          }
          for (auto& [k, m] : replies) remote_->post(k, std::move(m));
        }
        if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    } catch (...) {
      std::lock_guard<std::mutex> g(m_);
      if (!error_) error_ = std::current_exception();
      over_ = true;
      cv_.notify_all();
    }
    remote_->close();
  }

  // Under m_: fresh branches to free slots, cancels, answers to awaited branches, asks for work.
  void plan_remote(Posts& out) {
    for (unsigned k = 0; k < slot_.size(); ++k) {
      SlotState& st = slot_[k];
      if (st.task == 0) {
        Task* t = next_fresh();
        if (!t) continue;
        t->state = Task::State::Running;
        t->remote = static_cast<int>(k);
        st.task = t->id;
        --remote_idle_;
        out.emplace_back(k, RemoteMessage{Kind::Branch, t->id, BranchCodec::encode(*t->branch)});
        t->branch.reset();
        continue;
      }
      Task* t = find(st.task);
      if (t && t->cancelled && !t->told) {
        t->told = true;
        out.emplace_back(k, RemoteMessage{Kind::Cancel, t->id, {}});
      }
      if (st.awaits) answer(k, out);
    }
    // Workers with nothing to run: ask the busy slots for branches of theirs.
    const size_t reserve = 1;
    if (!eager_ && hungry_.load() + remote_idle_.load() + reserve <= ready_.size()) return;
    for (unsigned k = 0; k < slot_.size(); ++k) {
      SlotState& st = slot_[k];
      Task* t = st.task ? find(st.task) : nullptr;
      if (t && !t->cancelled && !st.asked && !st.awaits) {
        st.asked = true;
        out.emplace_back(k, RemoteMessage{Kind::Want, 0, {}});
      }
    }
  }

  // Under m_: the slot k awaits a branch it handed out. Answered once the branch is finished or
  // when it is not worth waiting for (as drive decides for a worker's task).
  void answer(unsigned k, Posts& out) {
    SlotState& st = slot_[k];
    Task* c = find(st.awaits);
    if (c && !c->cancelled && c->state != Task::State::Ready && c->state != Task::State::Finished) return;  // it runs
    const uint64_t id = st.awaits;
    st.awaits = 0;
    if (!c || c->cancelled || c->state == Task::State::Ready) {
      if (c) cancel(*c);
      ++stats_.taken_back;
      out.emplace_back(k, RemoteMessage{Kind::TakeBack, id, {}});
      return;
    }
    BranchReport r;
    r.id = id;
    r.stopped = c->stopped;
    r.ran = c->ran;
    r.done = std::move(c->done);
    if (!c->stopped) r.result = c->result ? std::move(*c->result) : c->dpor->take_result();
    r.graph = c->lock_order();
    out.emplace_back(k, RemoteMessage{Kind::Adopt, id, BranchCodec::encode(r)});
    ++stats_.adopted;
    if (Task* p = find(c->parent)) std::erase(p->children, id);
    tasks_.erase(id);
  }

  // Under m_: a message from slot k.
  void on_message(unsigned k, RemoteMessage m, Posts& out) {
    if (k >= slot_.size()) throw WireError("branch message: from a slot that does not exist");
    SlotState& st = slot_[k];
    switch (m.kind) {
      case Kind::Report: return reported(k, BranchCodec::decode_report(m.bytes));
      case Kind::NoOffer: st.asked = false; return;
      case Kind::Offer: {
        st.asked = false;
        Task* p = st.task ? find(st.task) : nullptr;
        if (!p || p->cancelled) return;  // its giver is dropped: so is the branch
        Dpor::Branch b = BranchCodec::decode_branch(m.bytes);
        if (b.id != m.id || find(b.id)) throw WireError("branch message: an offered branch whose id is taken");
        add_child(*p, std::move(b));
        return;
      }
      case Kind::Await:
        st.awaits = m.id;
        return answer(k, out);
      case Kind::Changed:
        if (Task* c = find(m.id)) cancel(*c);
        return;
      default: throw WireError("branch message: a slot sent what only the search sends");
    }
  }

  // Under m_: slot k's report on its branch.
  void reported(unsigned k, BranchReport r) {
    if (!r.error.empty()) throw std::runtime_error("another process: " + r.error);
    SlotState& st = slot_[k];
    if (st.task != r.id) throw WireError("branch message: a report from the wrong slot");
    st = SlotState{};
    ++remote_idle_;
    Task* t = find(r.id);
    if (!t) throw std::logic_error("parallel dpor: a report on a branch it does not know");
    t->ran = r.ran;
    if (t->cancelled || r.dropped) {
      stats_.wasted += t->ran;
      tasks_.erase(t->id);
      return;
    }
    t->stopped = r.stopped;
    t->done = std::move(r.done);
    t->graph = std::move(r.graph);
    if (!r.stopped) t->result = std::move(r.result);
    t->more = false;
    finish_locked(*t);
  }

  void make_ready(Task& t) {  // under m_
    t.state = Task::State::Ready;
    ready_.emplace(t.depth, t.id);
    readied_.fetch_add(1);
  }

  Task* find(uint64_t id) {  // under m_
    auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : it->second.get();
  }

  bool is_root(const Task& t) const { return t.parent == 0; }

  // Runs t until it waits for a branch, ends, or is dropped. Without m_.
  void drive(Task& t, Worker& w) {
    Dpor& dpor = *t.dpor;
    Search& search = *t.search;
    for (;;) {
      if (over_) return;
      if (t.cancelled) return drop(t);
      if (const uint64_t awaited = dpor.awaiting()) {
        std::unique_lock<std::mutex> lock(m_);
        Task* c = find(awaited);
        // Where the execution budget runs out inside c the search must stop at that very
        // execution, which c's folded summaries cannot tell: the root explores c itself.
        const bool budget = is_root(t) && c && c->state == Task::State::Finished && o_.max_executions &&
                            search.result().executions + counted(*c) >= o_.max_executions;
        // A branch no worker has started yet is cheaper to explore here than to wait for.
        if (!c || c->cancelled || dpor.awaited_changed() || budget || c->state == Task::State::Ready) {
          if (c) cancel(*c);
          ++stats_.taken_back;
          lock.unlock();
          dpor.take_back();
          continue;
        }
        if (c->state != Task::State::Finished) {
          t.state = Task::State::Waiting;  // c's end makes it ready again
          t.waiting_for = c->id;
          return;
        }
        lock.unlock();
        if (!adopt(t, dpor, search, *c)) return;
        continue;
      }
      if (!t.more) return finish(t);
      if (o_.grow && o_.live) grow();
      hand_out(t, dpor);
      bool more = false;
      ExecutionSummary s = search.run(w, more);
      ++t.ran;
      cancel_changed(dpor);
      t.more = more;
      if (is_root(t)) {
        if (!search.account(s, search.lock_order()) || !search.proceed(more)) return end();
      } else {
        const bool fatal = s.violation && !o_.on_violation;
        keep(t, std::move(s));
        if (fatal || (o_.stop && o_.stop->load(std::memory_order_relaxed))) {
          t.stopped = true;
          return finish(t);
        }
      }
    }
  }

  static void keep(Task& t, ExecutionSummary&& s) {
    if (t.done.empty() || !t.done.back().fold(s)) t.done.push_back(std::move(s));
  }

  // Executions c's summaries count.
  static uint64_t counted(const Task& c) {
    uint64_t n = 0;
    for (const ExecutionSummary& s : c.done)
      if (!s.repeated && s.outcome != sim::Outcome::Blocked) n += s.count;
    return n;
  }

  // t adopts its finished branch c. False when that ended the search or t.
  bool adopt(Task& t, Dpor& dpor, Search& search, Task& c) {
    bool more = false;
    if (!c.stopped) more = dpor.adopt(c.result ? std::move(*c.result) : c.dpor->take_result());
    cancel_changed(dpor);
    const LockOrderGraph& graph = c.lock_order();
    bool go = true;
    for (size_t k = 0; k < c.done.size() && go; ++k) {
      ExecutionSummary& s = c.done[k];
      if (is_root(t)) {
        go = search.account(s, graph) && search.proceed(k + 1 < c.done.size() || more);
      } else {
        search.absorb(s, graph);
        keep(t, std::move(s));
      }
    }
    const bool stopped = c.stopped;
    {
      std::lock_guard<std::mutex> g(m_);
      ++stats_.adopted;
      std::erase(t.children, c.id);
      tasks_.erase(c.id);
    }
    if (is_root(t)) {
      if (!go || stopped) {
        end();
        return false;
      }
    } else if (stopped) {
      t.stopped = true;
      finish(t);
      return false;
    }
    t.more = more;
    return true;
  }

  // More threads, up to what o_.live->threads allows now.
  void grow() {
    const uint32_t allowed = std::min<uint32_t>(o_.live->threads.load(std::memory_order_relaxed), 256);
    if (allowed <= started_.load(std::memory_order_relaxed)) return;
    std::lock_guard<std::mutex> g(m_);
    while (started_ < allowed && !over_) {
      threads_.emplace_back([this] { worker_main(); });
      ++started_;
    }
  }

  void hand_out(Task& t, Dpor& dpor) {
    // Alone, and nobody idle: nothing to hand out, and no lock taken before every execution.
    if (!eager_ && started_.load(std::memory_order_relaxed) <= 1 && hungry_.load(std::memory_order_relaxed) == 0 &&
        remote_idle_.load(std::memory_order_relaxed) == 0)
      return;
    std::lock_guard<std::mutex> g(m_);
    const size_t ready = ready_.size();
    // One branch in reserve beyond the idle workers: a worker whose task ends or waits finds
    // work at once instead of waiting for a running task to finish its execution.
    // (With one thread there is nobody to keep it for.)
    const size_t reserve = started_ > 1 || remote_ ? 1 : 0;
    if (over_ || (eager_ ? ready >= 64 : hungry_.load() + remote_idle_.load() + reserve <= ready)) return;
    std::optional<Dpor::Branch> b = dpor.hand_out(next_id_);
    if (!b) return;
    ++next_id_;
    add_child(t, std::move(*b));
  }

  // Under m_: a branch t handed out, ready for a worker or a slot.
  void add_child(Task& t, Dpor::Branch b) {
    auto c = std::make_unique<Task>();
    c->id = b.id;
    c->parent = t.id;
    c->depth = t.depth + 1;
    c->dpor = std::make_unique<Dpor>(b);
    c->search = std::make_unique<Search>(*c->dpor, setup_, o_);
    if (remote_) c->branch = std::move(b);
    t.children.push_back(c->id);
    Task& made = *c;
    tasks_.emplace(made.id, std::move(c));
    make_ready(made);
    ++stats_.handed_out;
    cv_.notify_one();
  }

  // The branches t's insertions changed are not the sequential ones any more.
  void cancel_changed(Dpor& dpor) {
    std::vector<uint64_t> ids = dpor.take_changed();
    if (ids.empty()) return;
    std::lock_guard<std::mutex> g(m_);
    for (uint64_t id : ids)
      if (Task* c = find(id)) cancel(*c);
  }

  // Under m_: c and what it handed out are dropped; the running ones drop themselves.
  void cancel(Task& c) {
    if (c.cancelled.exchange(true)) return;
    for (uint64_t id : c.children)
      if (Task* g = find(id)) cancel(*g);
    if (c.state == Task::State::Running) return;  // it drops itself (drop), or its slot reports
    if (c.state == Task::State::Ready) ready_.erase({c.depth, c.id});
    stats_.wasted += c.ran;
    tasks_.erase(c.id);
  }

  void drop(Task& t) {  // t was cancelled while it ran
    std::lock_guard<std::mutex> g(m_);
    stats_.wasted += t.ran;
    tasks_.erase(t.id);
  }

  void finish(Task& t) {
    if (is_root(t)) return end();
    std::lock_guard<std::mutex> g(m_);
    finish_locked(t);
  }

  void finish_locked(Task& t) {
    t.state = Task::State::Finished;
    if (Task* p = find(t.parent); p && p->state == Task::State::Waiting && p->waiting_for == t.id) {
      p->waiting_for = 0;
      make_ready(*p);
      cv_.notify_one();
    }
  }

  void end() {
    std::lock_guard<std::mutex> g(m_);
    over_ = true;
    cv_.notify_all();
  }

  const Setup& setup_;
  const ExploreOptions& o_;
  const unsigned jobs_;
  const bool eager_;
  Remote* const remote_;                // other processes' slots, or none
  struct SlotState {
    uint64_t task = 0;    // the branch it explores, 0 when it is free
    uint64_t awaits = 0;  // a branch it handed out, which it waits to adopt
    bool asked = false;   // asked for a branch, not yet answered
  };
  std::vector<SlotState> slot_;
  std::atomic<size_t> remote_idle_{0};  // free slots
  Task* root_ = nullptr;  // the search itself, counting every execution in sequential order
  std::mutex m_;
  std::condition_variable cv_;
  std::map<uint64_t, std::unique_ptr<Task>> tasks_;
  std::set<std::pair<uint32_t, uint64_t>> ready_;  // (depth, id) of the ready tasks
  uint64_t next_id_ = 1;
  std::vector<std::thread> threads_;  // started and not yet joined
  std::atomic<uint32_t> started_;     // threads started in all
  std::atomic<size_t> hungry_{0};  // workers with nothing to run
  std::atomic<uint64_t> readied_{0};  // tasks made ready so far
  std::atomic<bool> over_{false};
  std::exception_ptr error_;
  ParallelStats stats_;
};

}  // namespace

ExploreResult explore_dpor(const Setup& setup, const ExploreOptions& o, unsigned jobs, ParallelStats* stats, bool eager,
                           Remote* remote) {
  if (jobs <= 1 && !eager && !o.grow && !remote) {
    Dpor d;
    return explore(d, setup, o);
  }
  Pool pool(setup, o, std::max(jobs, 1u), eager, remote);
  return pool.run(stats);
}

}  // namespace vcpucheck::checker
