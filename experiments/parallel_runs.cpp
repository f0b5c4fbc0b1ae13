#include "parallel_runs.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace trainlab {

int workerCount(int jobs, bool parallel, int threadsPerJob) {
    if (!parallel || jobs <= 1) return 1;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, std::min(jobs, cores / std::max(1, threadsPerJob)));
}

void runJobs(int count, int workers, RunControl& control, const std::function<void(int)>& job) {
    std::atomic<int> next{0};
    std::mutex errorMutex;
    std::exception_ptr firstError;
    auto worker = [&] {
        for (;;) {
            const int i = next.fetch_add(1);
            if (i >= count || control.cancel) return;
            try {
                job(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!firstError) firstError = std::current_exception();
                control.cancel = true;  // the run has failed: stop the other jobs
                return;
            }
        }
    };
    // OpenMP's thread count is per thread: pool threads take the caller's, or oneDNN would
    // start one thread per core in every job.
    const int intraOp = at::get_num_threads();
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w)
        pool.emplace_back([&, intraOp] {
            at::set_num_threads(intraOp);
            worker();
        });
    worker();
    for (auto& t : pool) t.join();
    if (firstError) std::rethrow_exception(firstError);
}

}  // namespace trainlab
