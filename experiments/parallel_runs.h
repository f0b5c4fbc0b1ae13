// Independent trainings of one experiment (the models of 1-1, the runs of 2-1 and 2-3) run on
// a small pool of threads, each single-threaded, when that is faster.
#pragma once

#include <functional>

#include "run_control.h"

namespace trainlab {

/// How many workers to use for `jobs` independent jobs: one per core, divided by the
/// intra-op threads each job may use; 1 when `parallel` is false.
int workerCount(int jobs, bool parallel, int threadsPerJob);

/// Runs job(0) … job(count−1) on `workers` threads (the calling thread is one of them), each
/// with the calling thread's intra-op thread count (torch::set_num_threads). A job that throws sets
/// control.cancel, so the others stop at their next step, and its exception is rethrown here after
/// every thread has finished. Jobs not yet started when cancel is set are skipped.
void runJobs(int count, int workers, RunControl& control, const std::function<void(int)>& job);

}  // namespace trainlab
