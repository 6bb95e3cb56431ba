#include "hornet/distributed/process_group.h"

#include "hornet/build_config.h"

// c10d's headers declare a backend only under its macro, which LibTorch's CMake
// config may already define on the command line.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef HORNET_WITH_CUDA
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>
#include <type_traits>

namespace hornet::distributed {

namespace {

// c10d's collectives live on ProcessGroup in LibTorch 1.13 and on Backend in 2.x.
using Collectives = std::conditional_t<std::is_base_of_v<c10d::ProcessGroup, c10d::ProcessGroupGloo>,
                                       c10d::ProcessGroup, c10d::Backend>;

constexpr auto kBeatInterval = std::chrono::milliseconds(500);

std::string first_line(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 ? c10->what_without_backtrace() : e.what();
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string beat_key(int rank) { return "hornet/beat/" + std::to_string(rank); }

// The local address of the interface that reaches `host` (a connected UDP
// socket sends nothing): Gloo must listen where the other ranks can reach it,
// which on multi-homed hosts is not the hostname's address.
std::string local_address_towards(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return "";
  std::string address;
  const int fd = socket(found->ai_family, SOCK_DGRAM, 0);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
    sockaddr_storage local{};
    socklen_t size = sizeof local;
    char text[INET6_ADDRSTRLEN] = {};
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) == 0) {
      const void* raw = local.ss_family == AF_INET6
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
      if (inet_ntop(local.ss_family, raw, text, sizeof text)) address = text;
    }
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  return address;
}

// "rank 3" or "ranks 1, 4".
std::string rank_list(const std::vector<int>& ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t k = 0; k < ranks.size(); ++k) text += (k ? ", " : "") + std::to_string(ranks[k]);
  return text;
}

}  // namespace

struct ProcessGroup::Impl {
  LaunchEnvironment env;
  GroupOptions options;
  std::string backend;
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<Collectives> group;

  // The heartbeat: this rank's counter in the store, advanced by a thread.
  std::thread beat_thread;
  std::mutex beat_mutex;
  std::condition_variable beat_wake;
  bool stopping = false;

  std::string where() const { return env.master_addr + ":" + std::to_string(env.master_port); }

  // `serve`: rank 0's own connection holds the store; helper connections
  // (heartbeat, diagnosis) and the other ranks are clients. The store's own
  // wait for workers is not used: how it fails differs between LibTorch
  // versions, and it cannot say which rank is missing (join() below can).
  c10::intrusive_ptr<c10d::TCPStore> connect(bool serve, std::chrono::milliseconds timeout) const {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(env.master_port);
    o.isServer = serve && env.rank == 0;
    o.waitWorkers = false;
    o.timeout = timeout;
    return c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  }

  static std::string joined_key(int rank) { return "hornet/joined/" + std::to_string(rank); }

  // Every rank announces itself; rank 0 waits for all of them and names those
  // that never arrive.
  void join() {
    store->set(joined_key(env.rank), std::vector<uint8_t>{1});
    if (env.rank != 0) return;
    std::vector<std::string> keys;
    for (int r = 0; r < env.world_size; ++r) keys.push_back(joined_key(r));
    try {
      store->wait(keys, options.timeout);
    } catch (const std::exception& e) {
      std::vector<int> absent;
      for (int r = 0; r < env.world_size; ++r) {
        if (!store->check({joined_key(r)})) absent.push_back(r);
      }
      throw DistributedError("rank 0 waited " + std::to_string(options.timeout.count() / 1000) +
                             " s at the rendezvous store " + where() + ": " + rank_list(absent) +
                             " never joined (did it start, with the same MASTER_ADDR and MASTER_PORT?) [" +
                             first_line(e) + "]");
    }
  }

  void beat() {
    c10::intrusive_ptr<c10d::TCPStore> client;
    try {
      client = connect(false, options.timeout);
      std::unique_lock<std::mutex> lock(beat_mutex);
      while (!stopping) {
        client->add(beat_key(env.rank), 1);
        beat_wake.wait_for(lock, kBeatInterval);
      }
    } catch (const std::exception&) {
      // The store is gone (rank 0 ended); collectives report that themselves.
    }
  }

  // Which ranks stopped: those whose heartbeat does not advance over a few beats.
  std::string explain(const std::string& op, const std::exception& e) const {
    std::string cause;
    try {
      const auto probe = connect(false, std::chrono::seconds(5));
      std::vector<int64_t> before(static_cast<size_t>(env.world_size));
      for (int r = 0; r < env.world_size; ++r) before[static_cast<size_t>(r)] = probe->add(beat_key(r), 0);
      std::this_thread::sleep_for(4 * kBeatInterval);
      std::vector<int> stopped, absent;
      for (int r = 0; r < env.world_size; ++r) {
        const int64_t now = probe->add(beat_key(r), 0);
        if (r == env.rank || now != before[static_cast<size_t>(r)]) continue;
        (now == 0 ? absent : stopped).push_back(r);
      }
      if (!absent.empty()) {
        cause = rank_list(absent) + " never joined (did it start, with the same MASTER_ADDR and MASTER_PORT?)";
      } else if (!stopped.empty()) {
        cause = rank_list(stopped) + " stopped answering (" + (stopped.size() == 1 ? "it died or hangs)" : "they died or hang)");
      } else {
        cause = "every rank is still running; a rank did not reach this collective within " + options.timeout_setting + " (" +
                std::to_string(options.timeout.count() / 1000) + " s), or the ranks run different code";
      }
    } catch (const std::exception&) {
      cause = env.rank == 0 ? "the rendezvous store no longer answers"
                            : "rank 0 is gone (its rendezvous store at " + where() + " no longer answers)";
    }
    return op + " failed on rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) + ": " +
           cause + " [" + first_line(e) + "]";
  }

  template <class F>
  auto guarded(const std::string& op, F&& body) const {
    try {
      return body();
    } catch (const DistributedError&) {
      throw;
    } catch (const std::exception& e) {
      throw DistributedError(explain(op, e));
    }
  }
};

struct Work::Impl {
  c10::intrusive_ptr<c10d::Work> work;
  std::shared_ptr<const ProcessGroup::Impl> group;
  std::string op;
};

void Work::wait() {
  if (!impl_) return;
  auto impl = std::move(impl_);
  impl->group->guarded(impl->op, [&] { return impl->work->wait(); });
}

ProcessGroup::ProcessGroup(const LaunchEnvironment& env, const GroupOptions& options)
    : impl_(std::make_shared<Impl>()) {
  Impl& s = *impl_;
  s.env = env;
  s.options = options;
  const bool nccl = options.backend == Backend::kNccl || (options.backend == Backend::kAuto && options.cuda);
  s.backend = nccl ? "nccl" : "gloo";
  if (env.master_addr.empty()) throw DistributedError("process group: no rendezvous address (MASTER_ADDR)");
  const std::string seconds = std::to_string(options.timeout.count() / 1000) + " s";
  try {
    s.store = s.connect(true, options.timeout);
  } catch (const std::exception& e) {
    throw DistributedError(
        env.rank == 0
            ? "rank 0 could not hold the rendezvous store at " + s.where() + " (is the port in use?) [" +
                  first_line(e) + "]"
            : "rank " + std::to_string(env.rank) + " could not reach the rendezvous store at " + s.where() +
                  " within " + seconds + " (MASTER_ADDR/MASTER_PORT must name rank 0's host, reachable from here) [" +
                  first_line(e) + "]");
  }
  s.join();
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("hornet/" + s.backend, s.store);
  s.guarded("joining the " + s.backend + " process group", [&] {
    if (s.backend == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(options.timeout);
      if (const auto names = process_env("GLOO_SOCKET_IFNAME"); names && !names->empty()) {
        std::stringstream list(*names);
        for (std::string name; std::getline(list, name, ',');) {
          o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
        }
      } else if (const auto address = local_address_towards(env.master_addr, env.master_port); !address.empty()) {
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(address));
      } else {
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      o->threads = 2;
      s.group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env.rank, env.world_size, o);
    } else {
#ifdef HORNET_WITH_CUDA
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = options.timeout;
      s.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, env.rank, env.world_size, o);
#else
      throw std::invalid_argument("the NCCL backend needs a CUDA build of hornet; choose the Gloo backend");
#endif
    }
    return 0;
  });
  s.beat_thread = std::thread([&s] { s.beat(); });
}

ProcessGroup::~ProcessGroup() {
  {
    std::lock_guard<std::mutex> lock(impl_->beat_mutex);
    impl_->stopping = true;
  }
  impl_->beat_wake.notify_all();
  if (impl_->beat_thread.joinable()) impl_->beat_thread.join();
}

int ProcessGroup::rank() const { return impl_->env.rank; }
int ProcessGroup::size() const { return impl_->env.world_size; }
const std::string& ProcessGroup::backend() const { return impl_->backend; }
at::Device ProcessGroup::device() const {
  return impl_->backend == "nccl" ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(impl_->env.local_rank))
                                  : at::Device(at::kCPU);
}

Work ProcessGroup::allreduce_async(at::Tensor& tensor) {
  Work w;
  w.impl_ = std::make_shared<Work::Impl>();
  w.impl_->group = impl_;
  w.impl_->op = "all-reduce";
  std::vector<at::Tensor> list{tensor};
  w.impl_->work = impl_->guarded("all-reduce", [&] { return impl_->group->allreduce(list); });
  return w;
}

void ProcessGroup::allreduce(at::Tensor& tensor) { allreduce_async(tensor).wait(); }

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
  impl_->guarded("broadcast", [&] {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    return impl_->group->broadcast(tensors, o)->wait();
  });
}

std::vector<at::Tensor> ProcessGroup::allgather(const at::Tensor& tensor) {
  std::vector<at::Tensor> input{tensor.contiguous()};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int r = 0; r < size(); ++r) output[0].push_back(at::empty_like(input[0]));
  impl_->guarded("all-gather", [&] { return impl_->group->allgather(output, input)->wait(); });
  return output[0];
}

std::vector<std::string> ProcessGroup::allgather_text(const std::string& text) {
  std::vector<int64_t> lengths;
  for (const auto& l : allgather(at::full({1}, static_cast<int64_t>(text.size()), at::kLong).to(device()))) {
    lengths.push_back(l.item<int64_t>());
  }
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  auto padded = at::zeros({std::max<int64_t>(longest, 1)}, at::kByte);
  std::copy(text.begin(), text.end(), padded.data_ptr<uint8_t>());
  std::vector<std::string> out;
  for (const auto& gathered : allgather(padded.to(device()))) {
    const auto cpu = gathered.cpu();
    const auto* bytes = cpu.data_ptr<uint8_t>();
    out.emplace_back(bytes, bytes + lengths[out.size()]);
  }
  return out;
}

void ProcessGroup::barrier() {
  impl_->guarded("barrier", [&] { return impl_->group->barrier()->wait(); });
}

}  // namespace hornet::distributed
