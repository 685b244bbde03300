#include "sim/machine/machine.hpp"

#include <cstdio>
#include <cstring>

namespace vcpucheck::sim::machine {

const char* cpu_state_name(int s) {
  static const char* names[] = {"RUNNING", "HALTED", "WAIT_FOR_SIPI"};
  return s >= 0 && s < 3 ? names[s] : "?";
}

std::string MachineConfig::key() const {  // the worker's machine for this configuration
  return std::to_string(ncpus) + (x2apic ? "/x2apic/" : "/xapic/") + bsp_program + "/" + ap_program + "/" +
         std::to_string(guest_ncpus) + (kickable ? "/kickable" : "");
}

// --- GuestCell --------------------------------------------------------------------------------

GuestCell::GuestCell(Execution& x, const std::string& name, uint8_t* backing)
    : SharedObject(x, name, ObjectClass::Memory, nullptr, true, 0, /*preexisting=*/true), p_(backing) {}

uint64_t GuestCell::memory(unsigned offset, unsigned size) const {
  uint64_t v = 0;
  if (p_) std::memcpy(&v, p_ + offset, size);
  return v;
}

uint64_t GuestCell::read(unsigned offset, unsigned size, uint64_t gip, bool rmw_begin) {
  // A locked read-modify-write is one visible operation: announced here, recorded by its write
  // (it drains the store buffer first, as every locked instruction does on TSO).
  PendingOp op{rmw_begin ? OpKind::Rmw : OpKind::Read, id_, LockMode::Exclusive, false, false, Loc::current()};
  op.site = gip;
  x_.announce(op);
  uint64_t v = memory(offset, size);
  if (rmw_begin) {
    rmw_old_ = v;
    return v;
  }
  uint8_t flags = 0;
  if (x_.memory() == MemoryModel::TSO)  // this CPU's own buffered bytes, newest last
    for (const Buffered& b : buffered_) {
      if (b.thread != x_.current().v) continue;
      for (unsigned k = 0; k < size; ++k)
        if (offset + k >= b.offset && offset + k < b.offset + b.size) {
          const uint64_t byte = (b.value >> (8 * (offset + k - b.offset))) & 0xFF;
          v = (v & ~(uint64_t(0xFF) << (8 * k))) | byte << (8 * k);
          flags = kFlagForwarded;
        }
    }
  Event e = event(OpKind::Read, Loc::current());
  e.order = Order::Acquire;
  e.pre = e.post = e.value = v;
  e.gip = gip;
  e.flags = flags;
  x_.record(e);
  return v;
}

void GuestCell::write(unsigned offset, unsigned size, uint64_t value, uint64_t gip, GuestWrite kind) {
  if (size < 8) value &= (uint64_t(1) << (8 * size)) - 1;
  const Order order = kind == GuestWrite::LockedRmw ? Order::SeqCst
                      : kind == GuestWrite::SplitRmw ? Order::Plain
                                                     : Order::Release;
  if (kind != GuestWrite::LockedRmw && x_.memory() == MemoryModel::TSO && x_.in_thread()) {
    PendingOp op{OpKind::Buffer, id_, LockMode::Exclusive, false, false, Loc::current()};
    op.site = gip;
    x_.announce(op);
    buffered_.push_back(Buffered{x_.current().v, offset, size, value});
    BufferedStore b{this, id_, value, order, Loc::current()};
    b.gip = gip;
    x_.buffer_store(b);
    Event e = event(OpKind::Buffer, Loc::current());
    e.order = order;
    e.pre = memory(offset, size);
    e.post = e.value = value;
    e.gip = gip;
    x_.record(e);
    return;
  }
  if (kind != GuestWrite::LockedRmw) {
    PendingOp op{OpKind::Write, id_, LockMode::Exclusive, false, false, Loc::current()};
    op.site = gip;
    x_.announce(op);
  }
  const uint64_t pre = memory(offset, size);
  if (p_) std::memcpy(p_ + offset, &value, size);
  Event e = event(kind == GuestWrite::LockedRmw ? OpKind::Rmw : OpKind::Write, Loc::current());
  e.order = order;
  e.pre = kind == GuestWrite::LockedRmw ? rmw_old_ : pre;
  e.post = e.value = value;
  e.gip = gip;
  x_.record(e);
}

uint64_t GuestCell::flush_oldest(ThreadId t) {
  for (size_t k = 0; k < buffered_.size(); ++k)
    if (buffered_[k].thread == t.v) {
      const Buffered b = buffered_[k];
      buffered_.erase(buffered_.begin() + static_cast<long>(k));
      const uint64_t pre = memory(b.offset, b.size);
      if (p_) std::memcpy(p_ + b.offset, &b.value, b.size);
      return pre;
    }
  return 0;
}

void GuestCell::note(OpKind k, uint64_t value, uint64_t gip) {
  PendingOp op{k, id_, LockMode::Exclusive, false, false, Loc::current()};
  op.site = gip;
  x_.announce(op);
  Event e = event(k, Loc::current());
  e.value = e.post = value;
  if (k == OpKind::Read) e.pre = value;
  e.gip = gip;
  x_.record(e);
}

uint64_t GuestCell::exchange_flag(uint64_t& flag, uint64_t value, uint64_t gip, const Loc& loc) {
  PendingOp op{OpKind::Rmw, id_, LockMode::Exclusive, false, false, loc};
  op.site = gip;
  x_.announce(op);
  Event e = event(OpKind::Rmw, loc);  // after the scheduling point: what is there now
  e.order = Order::SeqCst;            // an interrupt line, not memory: never a data race
  e.pre = flag;
  e.value = e.post = value;
  e.gip = gip;
  x_.record(e);
  return std::exchange(flag, value);
}

// --- the hardware local APIC ------------------------------------------------------------------

uint64_t ApicHandler::apic_read(Cpu& c, uint32_t reg) {
  uint64_t v = c.lapic().read(reg);
  if (reg == APIC_ICR_LO && c.lapic().x2apic) v |= uint64_t(c.lapic().icr_hi) << 32;
  c.machine().reg_cell(c, reg).note(OpKind::Read, v, c.core().ip());
  return v;
}

void ApicHandler::apic_write(Cpu& c, uint32_t reg, uint64_t value) {
  c.machine().reg_cell(c, reg).note(OpKind::Write, value, c.core().ip());
  Lapic& l = c.lapic();
  switch (reg) {
    case APIC_TPR: l.tpr = static_cast<uint32_t>(value & 0xFF); break;
    case APIC_LDR: l.ldr = static_cast<uint32_t>(value); break;
    case APIC_DFR: l.dfr = static_cast<uint32_t>(value); break;
    case APIC_SVR: l.svr = static_cast<uint32_t>(value); break;
    case APIC_LVT_TIMER: l.lvt_timer = static_cast<uint32_t>(value); break;
    case APIC_EOI:
      for (int w = 7; w >= 0; --w)
        if (l.isr[w]) {
          l.isr[w] &= ~(1u << (31 - __builtin_clz(l.isr[w])));
          break;
        }
      break;
    case APIC_ICR_HI: l.icr_hi = static_cast<uint32_t>(value); break;
    case APIC_ICR_LO: {
      // xAPIC: writing ICR low sends, with the destination from ICR high. x2APIC: one 64-bit write.
      l.icr_lo = static_cast<uint32_t>(value);
      if (l.x2apic) l.icr_hi = static_cast<uint32_t>(value >> 32);
      uint64_t icr = l.x2apic ? value : (uint64_t(l.icr_hi) << 32 | l.icr_lo);
      send_ipi(c, decode_icr(icr, l.x2apic));
      break;
    }
    default: break;
  }
}

void ApicHandler::send_ipi(Cpu& c, const Icr& icr) {
  Machine& m = c.machine();
  std::string why = icr_invalid_reason(icr);
  if (!why.empty()) {
    if (icr.mode == DeliveryMode::Fixed || icr.mode == DeliveryMode::Init || icr.mode == DeliveryMode::Startup)
      return;  // architecturally ignored
    m.exec().fail(ViolationKind::ModelError,
                  "cpu[" + std::to_string(c.index()) + "] sent " + icr.describe() + ": " + why, Loc::current());
  }
  for (uint32_t id : icr_targets(icr, c.lapic().id, m.lapics()))
    if (Cpu* t = m.cpu_by_apic_id(id)) t->post(Ipi{icr.mode, icr.vector, c.lapic().id});
}

// --- Cpu ---------------------------------------------------------------------------------------

Cpu::Cpu(Machine& m, int index) : m_(m), index_(index) {
  core_ = std::make_unique<Core>(index, m.ram_.data(), kRamSize,
                                 std::vector<std::pair<uint64_t, uint64_t>>{{kSharedPage, 0x1000}, {kLapicBase, 0x1000}},
                                 &m);
  core_->set_boundary_checks(m.cfg_.kickable);
  lapic_.id = static_cast<uint32_t>(index);
}

void Cpu::reset_objects(Execution& x) {
  Scope s(x, "cpu[" + std::to_string(index_) + "]");
  mailbox_lock_ = std::make_unique<SpinMutex>(x, "mailbox_lock");
  mailbox_chan_ = std::make_unique<Chan>(x, "mailbox");
  mailbox_ = std::make_unique<Field<int>>(x, "mailbox", 0);
  state_ = bsp() ? CPU_RUNNING : CPU_WAIT_FOR_SIPI;
  state_cell_ = std::make_unique<Field<int>>(x, "state", state_);
  kick_pending_ = 0;
  kick_cell_ = m_.cfg_.kickable ? std::make_unique<GuestCell>(x, "kick", nullptr) : nullptr;
  // The mailbox is the APIC bus and the state is the CPU's own: neither is memory, so under TSO
  // posting an IPI does not drain the sender's store buffer (an x2APIC ICR write can pass the
  // sender's earlier stores, as on hardware), and halting does not either.
  for (ObjectId o : {mailbox_lock_->id(), mailbox_chan_->id(), mailbox_->id(), state_cell_->id()})
    x.object(o).hardware = true;
  if (kick_cell_) x.object(kick_cell_->id()).hardware = true;
}

void Cpu::set_state(int s) {
  state_ = s;
  state_cell_->set(s);
}

CoreExit Cpu::run_guest() {
  Execution& x = m_.exec();
  // Guest mode is not host code: a VMM that enters it inside critical_enter() (bhyve's VMRUN)
  // is not blocking in a critical section. The MMIO and MSR callbacks run with no critical
  // section of their own; a handler the real VMM runs inside one (bhyve's x2APIC MSR exits) says
  // so with its own critical_enter. The nesting comes back as it was.
  struct GuestMode {
    int& critical;
    const int saved;
    explicit GuestMode(int& c) : critical(c), saved(c) { critical = 0; }
    ~GuestMode() { critical = saved; }
  } guest_mode(x.thread(x.current()).critical);
  if (kick_cell_ && take_kick()) return CoreExit::Kick;  // kicked while in host mode: exit at entry
  CoreExit e = core_->run(Machine::kBudget);
  if (e == CoreExit::Fault) {
    auto [loc, text] = m_.where(core_->ip());
    Violation v;
    v.kind = ViolationKind::GuestFault;
    v.object = "cpu[" + std::to_string(index_) + "]";
    v.message = "cpu[" + std::to_string(index_) + "] faulted: " + core_->fault() + " (" + loc + ": " + text + ")";
    v.involved.push_back(Involved{x.thread(x.current()).name, text, loc, static_cast<int64_t>(x.steps())});
    x.fail(std::move(v));
  }
  if (e == CoreExit::Budget) {  // a long stretch of guest-only work: a scheduling point, so bounds apply
    x.announce(PendingOp{OpKind::Local, ObjectId(), LockMode::Exclusive, false, false, Loc::current()});
    Event ev;
    ev.tid = x.current();
    ev.kind = OpKind::Local;
    ev.gip = core_->ip();
    x.record(ev);
  }
  return e;
}

bool Cpu::take_kick() { return kick_cell_->exchange_flag(kick_pending_, 0, core_->ip(), Loc::current()) != 0; }

void Cpu::kick(const Loc& loc) {
  Execution& x = m_.exec();
  if (!kick_cell_)
    x.fail(ViolationKind::ModelError,
           "cpu[" + std::to_string(index_) + "].kick: the machine's CPUs cannot be kicked (MachineConfig::kickable is off)", loc);
  kick_cell_->exchange_flag(kick_pending_, 1, 0, loc);
}

void Cpu::post(const Ipi& ipi) {
  mailbox_lock_->lock();
  queue_.push_back(ipi);
  mailbox_->set(static_cast<int>(queue_.size()));
  queue_.back().sent = static_cast<uint32_t>(m_.exec().steps() - 1);
  mailbox_chan_->wakeup();
  mailbox_lock_->unlock();
}

Ipi Cpu::take_ipi() {
  mailbox_lock_->lock();
  while (queue_.empty()) mailbox_chan_->sleep(*mailbox_lock_, {.idle = true});
  Ipi i = queue_.front();
  queue_.erase(queue_.begin());
  mailbox_->set(static_cast<int>(queue_.size()));
  // The sender's post to this take, named as the SDM names the delivery mode.
  Execution& x = m_.exec();
  char text[48];
  if (i.mode == DeliveryMode::Startup || i.mode == DeliveryMode::Fixed)
    std::snprintf(text, sizeof text, "%s vector 0x%02x", delivery_mode_name(i.mode), i.vector);
  else
    std::snprintf(text, sizeof text, "%s", delivery_mode_name(i.mode));
  x.link(Link{i.sent, static_cast<uint32_t>(x.steps() - 1), Link::Kind::Ipi, text});
  mailbox_lock_->unlock();
  return i;
}

bool Cpu::apply(const Ipi& ipi) {
  switch (ipi.mode) {
    case DeliveryMode::Init:
      lapic_.reset();  // APIC ID and x2APIC mode survive INIT
      if (bsp()) {
        core_->start_real_mode(m_.bsp_entry());
        set_state(CPU_RUNNING);
        return true;
      }
      core_->power_on();
      set_state(CPU_WAIT_FOR_SIPI);
      return false;
    case DeliveryMode::Startup:
      if (state() != CPU_WAIT_FOR_SIPI) {
        ++sipis_dropped;  // not waiting for SIPI: discarded
        return state() == CPU_RUNNING;
      }
      starts.push_back(uint32_t(ipi.vector) << 12);
      core_->start_real_mode(uint32_t(ipi.vector) << 12);
      set_state(CPU_RUNNING);
      return true;
    case DeliveryMode::Fixed:
      lapic_.set_irr(ipi.vector);
      if (state() == CPU_HALTED) {
        set_state(CPU_RUNNING);
        return true;
      }
      return state() == CPU_RUNNING;
    default:
      return state() == CPU_RUNNING;
  }
}

void Cpu::run_from(uint32_t addr) {
  core_->start_real_mode(addr);
  if (state() != CPU_RUNNING) set_state(CPU_RUNNING);
  run_loop();
}

void Cpu::run_forever() {
  if (bsp()) core_->start_real_mode(m_.bsp_entry());
  run_loop();
}

void Cpu::run_loop() {
  for (;;) {
    if (state() == CPU_RUNNING) {
      if (run_guest() == CoreExit::Halt) set_state(CPU_HALTED);
    } else {
      apply(take_ipi());
    }
  }
}

// --- Machine -----------------------------------------------------------------------------------

Machine::Machine(const MachineConfig& c) : cfg_(c), ram_(kRamSize, 0), cells_(0x1000 / 4) {
  for (const std::string& name : {c.bsp_program, c.ap_program}) {
    const GuestProgram* p = find_guest_program(name);
    if (!p) throw std::invalid_argument("unknown guest program '" + name + "'");
    if (p->base + p->size > kSharedPage) throw std::invalid_argument("guest program '" + name + "' overlaps the shared page");
    programs_.push_back(p);
    std::memcpy(ram_.data() + p->base, p->bytes, p->size);
  }
  if (c.ncpus < 1 || c.ncpus > 16) throw std::invalid_argument("ncpus must be 1..16");
  pristine_ = ram_;
  for (int i = 0; i < c.ncpus; ++i) cpus_.push_back(std::make_unique<Cpu>(*this, i));
}

Machine::~Machine() = default;

Machine& Machine::for_execution(Execution& x, const MachineConfig& c) {
  Machine& m = x.resources->get<Machine>("machine:" + c.key(), [&] { return new Machine(c); });
  m.reset(x);
  return m;
}

void Machine::reset(Execution& x) {
  x_ = &x;
  std::memcpy(ram_.data(), pristine_.data(), kRamSize);
  const uint32_t n = static_cast<uint32_t>(cfg_.guest_ncpus ? cfg_.guest_ncpus : cfg_.ncpus);
  std::memcpy(ram_.data() + kNcpus, &n, 4);
  for (auto& c : cells_) c.reset();
  regs_.clear();
  apic_ = &hardware_;
  for (auto& c : cpus_) {
    c->lapic_ = Lapic{};
    c->lapic_.id = static_cast<uint32_t>(c->index_);
    c->lapic_.x2apic = cfg_.x2apic;
    c->queue_.clear();
    c->starts.clear();
    c->sipis_dropped = 0;
    c->core_->power_on();
    c->reset_objects(x);
  }
  x.guest_where = [this](const Event& e) { return where(e.gip); };
}

Cpu* Machine::cpu_by_apic_id(uint32_t id) {
  for (auto& c : cpus_)
    if (c->lapic_.id == id) return c.get();
  return nullptr;
}

std::vector<const Lapic*> Machine::lapics() const {
  std::vector<const Lapic*> out;
  for (const auto& c : cpus_) out.push_back(&c->lapic_);
  return out;
}

uint32_t Machine::peek32(uint64_t addr) const {
  uint32_t v;
  std::memcpy(&v, ram_.data() + addr, 4);
  return v;
}

GuestCell& Machine::cell(uint64_t addr) {
  const uint64_t word = addr & ~uint64_t(3);
  std::unique_ptr<GuestCell>& slot = cells_[(word - kSharedPage) / 4];
  if (slot) return *slot;
  std::string name;
  if (word == kNcpus)
    name = "guest.ncpus";
  else if (word == kStartedCount)
    name = "guest.started_count";
  else if (word == kBspDone)
    name = "guest.bsp_done";
  else if (word >= kStartedIds && word < kStartedIds + 4 * 64)
    name = "guest.started_ids[" + std::to_string((word - kStartedIds) / 4) + "]";
  else if (word == kEntered)
    name = "guest.entered";
  else if (word == kData)
    name = "guest.data";
  else if (word == kMissed)
    name = "guest.missed";
  else if (word >= kFlags && word < kFlags + 4 * 64)
    name = "guest.flag[" + std::to_string((word - kFlags) / 4) + "]";
  else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "guest[0x%llx]", static_cast<unsigned long long>(word));
    name = buf;
  }
  slot = std::make_unique<GuestCell>(*x_, name, ram_.data() + word);
  return *slot;
}

GuestCell& Machine::reg_cell(Cpu& c, uint32_t reg) {
  auto key = std::make_pair(c.index(), reg);
  auto it = regs_.find(key);
  if (it != regs_.end()) return *it->second;
  auto cell = std::make_unique<GuestCell>(*x_, "cpu[" + std::to_string(c.index()) + "].lapic." + lapic_reg_name(reg), nullptr);
  x_->object(cell->id()).hex = true;
  return *regs_.emplace(key, std::move(cell)).first->second;
}

std::pair<std::string, std::string> Machine::where(uint64_t gip) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(gip));
  std::string text = buf;
  for (const GuestProgram* p : programs_) {
    if (!p->contains(gip)) continue;
    const GuestLine* l = p->line_at(gip);
    if (!l) break;
    for (uint32_t i = 0; i < l->len && i < 12; ++i) {
      std::snprintf(buf, sizeof buf, " %02x", ram_[gip + i]);
      text += buf;
    }
    text += "  ";
    text += l->text;
    return {std::string(p->file) + ":" + std::to_string(l->line), text};
  }
  return {"guest", text};
}

namespace {
Cpu& cpu_of(Machine& m, Core& c) { return m.cpu(c.index()); }
}  // namespace

uint64_t Machine::mmio_read(Core& c, uint64_t addr, unsigned size, bool rmw) {
  if (addr >= kLapicBase && addr < kLapicBase + 0x1000) {
    Cpu& cpu = cpu_of(*this, c);
    if (cpu.lapic().x2apic) return 0;  // the xAPIC page is not decoded in x2APIC mode
    serialize(c);
    return apic_->apic_read(cpu, static_cast<uint32_t>(addr - kLapicBase));
  }
  return cell(addr).read(static_cast<unsigned>(addr & 3), size, c.ip(), rmw);
}

void Machine::mmio_write(Core& c, uint64_t addr, unsigned size, uint64_t value, GuestWrite kind) {
  if (addr >= kLapicBase && addr < kLapicBase + 0x1000) {
    Cpu& cpu = cpu_of(*this, c);
    if (cpu.lapic().x2apic) return;
    serialize(c);  // the xAPIC page is uncacheable: strongly ordered, never buffered
    apic_->apic_write(cpu, static_cast<uint32_t>(addr - kLapicBase), value);
    return;
  }
  cell(addr).write(static_cast<unsigned>(addr & 3), size, value, c.ip(), kind);
}

uint64_t Machine::rdmsr(Core& c, uint32_t msr) {
  Cpu& cpu = cpu_of(*this, c);
  if (msr == kMsrApicBase) return cpu.lapic().apic_base_msr(cpu.bsp());
  if (msr >= kMsrX2apicFirst && msr <= kMsrX2apicLast && cpu.lapic().x2apic)
    return apic_->apic_read(cpu, reg_of_msr(msr));
  return 0;
}

void Machine::wrmsr(Core& c, uint32_t msr, uint64_t value) {
  Cpu& cpu = cpu_of(*this, c);
  // WRMSR serializes, except to the x2APIC registers (SDM 10.12.3): an x2APIC ICR write can pass
  // the CPU's buffered stores, which is why Linux puts a fence before one (weak_wrmsr_fence).
  if (!(msr >= kMsrX2apicFirst && msr <= kMsrX2apicLast && cpu.lapic().x2apic)) serialize(c);
  if (msr == kMsrApicBase) {
    cpu.lapic().x2apic = (value >> 10) & 1;  // EXTD
    return;
  }
  if (msr >= kMsrX2apicFirst && msr <= kMsrX2apicLast && cpu.lapic().x2apic) apic_->apic_write(cpu, reg_of_msr(msr), value);
}

bool Machine::exit_pending(Core& c) { return cpu_of(*this, c).take_kick(); }

void Machine::serialize(Core& c) {
  if (x_->memory() != MemoryModel::TSO || !x_->in_thread()) return;  // nothing is buffered under sc
  PendingOp op{OpKind::Fence, ObjectId(), LockMode::Exclusive, false, false, Loc::current()};
  op.drain = true;
  op.site = c.ip();
  x_->announce(op);
  Event e;
  e.tid = x_->current();
  e.kind = OpKind::Fence;
  e.order = Order::SeqCst;
  e.loc = Loc::current();
  e.gip = c.ip();
  x_->record(e);
}

}  // namespace vcpucheck::sim::machine
