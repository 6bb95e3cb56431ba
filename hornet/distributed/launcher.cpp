#include "hornet/distributed/launcher.h"

#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace hornet::distributed {

namespace {

std::atomic<int> g_forward_signal{0};

void remember_signal(int signal) { g_forward_signal.store(signal); }

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("launcher: cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("launcher: cannot find a free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return "was killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

struct Worker {
  pid_t pid = -1;
  int rank = 0;
  bool running = false;
  int status = 0;
};

pid_t spawn(const std::vector<std::string>& argv, int rank, int nproc, int port) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("launcher: fork failed: ") + std::strerror(errno));
  if (pid > 0) return pid;
  // The worker: its own process group (terminal signals reach the launcher,
  // which forwards them once), and it dies with the launcher.
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  setenv("RANK", std::to_string(rank).c_str(), 1);
  setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv("/proc/self/exe", args.data());
  std::fprintf(stderr, "launcher: cannot start %s: %s\n", argv[0].c_str(), std::strerror(errno));
  _exit(127);
}

// Runs one attempt; returns true when every worker exited 0.
bool run_attempt(const std::vector<std::string>& argv, const LaunchOptions& o, bool& interrupted) {
  const int port = free_port();
  std::vector<Worker> workers(static_cast<size_t>(o.nproc));
  for (int r = 0; r < o.nproc; ++r) {
    workers[static_cast<size_t>(r)] = {spawn(argv, r, o.nproc, port), r, true, 0};
  }
  spdlog::info("launcher: started {} workers (rendezvous 127.0.0.1:{})", o.nproc, port);
  using Clock = std::chrono::steady_clock;
  bool failed = false;
  Clock::time_point failed_at{};
  bool killed = false;
  int running = o.nproc;
  while (running > 0) {
    if (const int signal = g_forward_signal.exchange(0); signal != 0) {
      interrupted = true;
      spdlog::warn("launcher: forwarding signal {} ({}) to the workers", signal, strsignal(signal));
      for (const auto& w : workers) {
        if (w.running) kill(w.pid, signal);
      }
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (auto& w : workers) {
        if (w.pid != pid || !w.running) continue;
        w.running = false;
        w.status = status;
        --running;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && !killed) {
          spdlog::error("launcher: rank {} (pid {}) {}", w.rank, w.pid, describe_status(status));
          if (!failed) failed_at = Clock::now();
          failed = true;
        }
      }
      continue;
    }
    if (failed && !killed &&
        std::chrono::duration<double>(Clock::now() - failed_at).count() > o.grace_seconds) {
      for (const auto& w : workers) {
        if (!w.running) continue;
        spdlog::error("launcher: rank {} (pid {}) still runs {} s after the failure; killing it", w.rank, w.pid,
                      o.grace_seconds);
        kill(w.pid, SIGKILL);
      }
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !failed;
}

}  // namespace

std::vector<std::string> strip_options(const std::vector<std::string>& argv, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (size_t k = 0; k < argv.size(); ++k) {
    bool drop = false;
    for (const auto& name : names) {
      if (argv[k] == name) {
        drop = true;
        ++k;  // its value
        break;
      }
      if (argv[k].rfind(name + "=", 0) == 0) {
        drop = true;
        break;
      }
    }
    if (!drop) out.push_back(argv[k]);
  }
  return out;
}

int launch_workers(const LaunchOptions& o) {
  if (o.nproc < 1) throw std::invalid_argument("--nproc-per-node must be at least 1");
  if (o.argv.empty()) throw std::invalid_argument("launcher: no worker command");
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGUSR1}) sigaction(signal, &action, nullptr);

  std::vector<std::string> argv = o.argv;
  for (int attempt = 0;; ++attempt) {
    bool interrupted = false;
    if (run_attempt(argv, o, interrupted)) return 0;
    if (interrupted || attempt >= o.max_restarts) {
      spdlog::error("launcher: the workers failed{}", attempt > 0 ? " after " + std::to_string(attempt) + " restart(s)" : "");
      return 1;
    }
    spdlog::warn("launcher: restarting the workers from their last checkpoint (restart {} of {})", attempt + 1,
                 o.max_restarts);
    if (attempt == 0) {
      // The restart arguments replace options of the same name.
      std::vector<std::string> names;
      for (const auto& a : o.restart_args) {
        if (a.rfind("--", 0) == 0) names.push_back(a);
      }
      argv = strip_options(argv, names);
      for (const auto& flag : o.restart_drop_flags) argv.erase(std::remove(argv.begin(), argv.end(), flag), argv.end());
      argv.insert(argv.end(), o.restart_args.begin(), o.restart_args.end());
    }
  }
}

}  // namespace hornet::distributed
