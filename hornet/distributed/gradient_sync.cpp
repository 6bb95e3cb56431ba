#include "hornet/distributed/gradient_sync.h"

#include <torch/nn/module.h>

#include <chrono>
#include <mutex>

namespace hornet::distributed {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

void broadcast_state(ProcessGroup& group, torch::nn::Module& module, int root) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  // One flat tensor per dtype: a few large broadcasts instead of hundreds of small ones.
  std::vector<at::ScalarType> dtypes;
  for (const auto& t : tensors) {
    if (std::find(dtypes.begin(), dtypes.end(), t.scalar_type()) == dtypes.end()) dtypes.push_back(t.scalar_type());
  }
  for (const auto dtype : dtypes) {
    std::vector<at::Tensor> same;
    for (const auto& t : tensors) {
      if (t.scalar_type() == dtype) same.push_back(t);
    }
    std::vector<at::Tensor> flat;
    for (const auto& t : same) flat.push_back(t.detach().reshape(-1).to(group.device()));
    std::vector<at::Tensor> buffer{at::cat(flat)};
    group.broadcast(buffer, root);
    int64_t offset = 0;
    for (auto& t : same) {
      t.detach().copy_(buffer[0].narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

struct GradientSync::Impl {
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> params;  // indices into `parameters`
    int64_t pending = 0;         // gradients still to arrive in this backward
    Work work;
    bool launched = false;
  };

  ProcessGroup* group = nullptr;
  std::vector<at::Tensor> parameters;
  std::vector<unsigned> hook_handles;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;      // parameter -> bucket
  std::vector<int64_t> offset_of;     // parameter -> offset in its bucket
  std::vector<bool> ready;            // parameter's gradient is in its bucket
  size_t next_launch = 0;
  bool synchronising = false;
  std::mutex mutex;
  Stats stats;

  at::Tensor view(size_t p) {
    const auto& param = parameters[p];
    return buckets[bucket_of[p]].flat.narrow(0, offset_of[p], param.numel()).view(param.sizes());
  }

  // Copies parameter p's full gradient (accumulated + `incoming`) into its bucket.
  void arrive(size_t p, const at::Tensor& incoming) {
    at::NoGradGuard no_grad;
    auto slot = view(p);
    const auto& accumulated = parameters[p].grad();
    if (incoming.defined()) {
      slot.copy_(incoming);
      if (accumulated.defined()) slot.add_(accumulated);
    } else if (accumulated.defined()) {
      slot.copy_(accumulated);
    } else {
      slot.zero_();
    }
    ready[p] = true;
    if (--buckets[bucket_of[p]].pending == 0) launch_ready();
  }

  // Launches complete buckets strictly in order, so every rank issues the
  // same sequence of collectives.
  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      auto& b = buckets[next_launch++];
      b.flat.div_(static_cast<double>(group->size()));
      b.work = group->allreduce_async(b.flat);
      b.launched = true;
    }
  }
};

GradientSync::GradientSync(ProcessGroup& group, std::vector<at::Tensor> parameters, int64_t bucket_bytes)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.group = &group;
  s.parameters = std::move(parameters);
  const size_t n = s.parameters.size();
  s.bucket_of.assign(n, 0);
  s.offset_of.assign(n, 0);
  s.ready.assign(n, false);
  // Reverse registration order; a bucket holds one dtype and device.
  std::vector<std::vector<size_t>> groups;
  int64_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    const auto& p = s.parameters[k];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool fits = !groups.empty() && bytes + size <= bucket_bytes &&
                      s.parameters[groups.back().front()].scalar_type() == p.scalar_type() &&
                      s.parameters[groups.back().front()].device() == p.device();
    if (!fits) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(k);
    bytes += size;
  }
  for (const auto& members : groups) {
    Impl::Bucket b;
    int64_t numel = 0;
    for (size_t p : members) {
      s.bucket_of[p] = s.buckets.size();
      s.offset_of[p] = numel;
      numel += s.parameters[p].numel();
    }
    const auto& first = s.parameters[members.front()];
    b.flat = at::zeros({numel}, first.options().requires_grad(false));
    b.params = members;
    s.stats.bytes += numel * static_cast<int64_t>(first.element_size());
    s.buckets.push_back(std::move(b));
  }
  s.stats.buckets = static_cast<int64_t>(s.buckets.size());
  for (size_t p = 0; p < n; ++p) {
    Impl* impl = impl_.get();
    s.hook_handles.push_back(s.parameters[p].register_hook([impl, p](const at::Tensor& grad) {
      std::lock_guard<std::mutex> lock(impl->mutex);
      if (impl->synchronising && !impl->ready[p]) impl->arrive(p, grad);
    }));
  }
}

GradientSync::~GradientSync() {
  for (size_t p = 0; p < impl_->parameters.size(); ++p) {
    try {
      impl_->parameters[p].remove_hook(impl_->hook_handles[p]);
    } catch (const std::exception&) {
    }
  }
}

void GradientSync::begin_backward(bool synchronise) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->synchronising = synchronise;
  if (!synchronise) return;
  std::fill(impl_->ready.begin(), impl_->ready.end(), false);
  for (auto& b : impl_->buckets) {
    b.pending = static_cast<int64_t>(b.params.size());
    b.launched = false;
  }
  impl_->next_launch = 0;
}

void GradientSync::finish() {
  const auto start = Clock::now();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  if (!s.synchronising) return;
  s.stats.launched_in_backward = static_cast<int64_t>(s.next_launch);
  // Parameters backward gave no gradient (unused, or a skipped backward)
  // still take part, so that every rank runs the same collectives.
  for (size_t p = 0; p < s.parameters.size(); ++p) {
    if (!s.ready[p]) s.arrive(p, at::Tensor());
  }
  at::NoGradGuard no_grad;
  for (auto& b : s.buckets) {
    b.work.wait();
    for (size_t p : b.params) {
      auto& param = s.parameters[p];
      if (param.grad().defined()) {
        param.mutable_grad().copy_(s.view(p));
      } else {
        param.mutable_grad() = s.view(p).clone();
      }
    }
  }
  s.synchronising = false;
  s.stats.exposed_seconds = seconds_since(start);
}

GradientSync::Stats GradientSync::stats() const { return impl_->stats; }

double GradientSync::time_allreduce_alone() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const auto start = Clock::now();
  std::vector<Work> works;
  for (auto& b : impl_->buckets) works.push_back(impl_->group->allreduce_async(b.flat));
  for (auto& w : works) w.wait();
  return seconds_since(start);
}

}  // namespace hornet::distributed
