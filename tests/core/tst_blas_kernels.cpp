// Issue 15: the kernel table (flags → OpenBLAS family) on recorded /proc/cpuinfo of real CPUs
// (tests/data/cpuinfo), the start-up decision (the user's OPENBLAS_CORETYPE kept, at most one
// restart, the self-check's fallback), the self-check itself against right and wrong sgemms,
// cpuid against this machine's /proc/cpuinfo, and the peak's derivation.
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "blas_kernels.h"
#include "blas_runtime.h"
#include "cpu_features.h"
#include "kernel_startup.h"

using namespace trainlab;

namespace {

CpuFeatures recorded(const QString& file) {
    std::ifstream in(std::string(TRAINLAB_TEST_DATA) + "/cpuinfo/" + file.toStdString());
    std::ostringstream s;
    s << in.rdbuf();
    return cpuFeaturesFromCpuinfo(s.str());
}

const char* const kRecorded[] = {
    "sapphire-rapids-xeon-8480.txt", "emerald-rapids-xeon-8575c.txt",
    "cascade-lake-xeon-8260m.txt",   "skylake-sp-xeon-6132.txt",
    "haswell-xeon-e5-2680v3.txt",    "arrow-lake-core-ultra-9-285.txt",
    "ivy-bridge-xeon-e5-2650v2.txt", "sandy-bridge-i7-2670qm.txt",
    "zen-epyc-7301.txt",             "zen2-epyc-7742.txt",
    "zen3-ryzen-5950x.txt",          "zen4-epyc-9654.txt",
    "zen4-epyc-kvm.txt",             "zen5-ryzen-9950x.txt",
    "core2-pentium-e5700.txt",       "k10-opteron-6136.txt"};

std::string familyOf(const CpuFeatures& cpu) {
    const BlasFamilyRule* r = bestBlasFamily(cpu);
    return r ? r->family : "";
}

/// A start-up on `cpu` where OpenBLAS (DYNAMIC_ARCH) reports `core`, nothing set.
KernelInputs inputs(const CpuFeatures& cpu, const std::string& core) {
    KernelInputs in;
    in.openBlas = true;
    in.dynamicArch = true;
    in.library = "OpenBLAS (/usr/lib/libblas.so.3)";
    in.coreName = core;
    in.cpu = cpu;
    return in;
}

// Column-major reference sgemm_ for the self-check (float accumulation, as a BLAS does).
void naiveSgemm(const char* ta, const char* tb, const int* m, const int* n, const int* k,
                const float* alpha, const float* a, const int* lda, const float* b,
                const int* ldb, const float* beta, float* c, const int* ldc) {
    for (int j = 0; j < *n; ++j)
        for (int i = 0; i < *m; ++i) {
            float s = 0;
            for (int l = 0; l < *k; ++l) {
                const float av = *ta == 'T' ? a[l + i * *lda] : a[i + l * *lda];
                const float bv = *tb == 'T' ? b[j + l * *ldb] : b[l + j * *ldb];
                s += av * bv;
            }
            float& cij = c[i + j * *ldc];
            cij = *alpha * s + (*beta == 0 ? 0.0f : *beta * cij);
        }
}

// Wrong: ignores beta (C is overwritten where it should be accumulated).
void sgemmIgnoringBeta(const char* ta, const char* tb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b,
                       const int* ldb, const float*, float* c, const int* ldc) {
    const float zero = 0;
    naiveSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, &zero, c, ldc);
}

// Wrong in precision: the result rounded to bfloat16 (8 bits of mantissa).
void sgemmInBfloat16(const char* ta, const char* tb, const int* m, const int* n, const int* k,
                     const float* alpha, const float* a, const int* lda, const float* b,
                     const int* ldb, const float* beta, float* c, const int* ldc) {
    naiveSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    for (int j = 0; j < *n; ++j)
        for (int i = 0; i < *m; ++i) {
            float& x = c[i + j * *ldc];
            int e = 0;
            const float f = std::frexp(x, &e);
            x = std::ldexp(std::round(f * 256.0f) / 256.0f, e);
        }
}

}  // namespace

class TstBlasKernels : public QObject {
    Q_OBJECT

  private slots:
    void recordedCpusGetTheirFamily_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("family");
        QTest::addColumn<int>("model");
        QTest::addColumn<QString>("expected");
        QTest::newRow("Sapphire Rapids") << "sapphire-rapids-xeon-8480.txt" << 6 << 143 << "Cooperlake";
        QTest::newRow("Emerald Rapids") << "emerald-rapids-xeon-8575c.txt" << 6 << 207 << "Cooperlake";
        QTest::newRow("Cascade Lake") << "cascade-lake-xeon-8260m.txt" << 6 << 85 << "SkylakeX";
        QTest::newRow("Skylake-SP") << "skylake-sp-xeon-6132.txt" << 6 << 85 << "SkylakeX";
        QTest::newRow("Haswell") << "haswell-xeon-e5-2680v3.txt" << 6 << 63 << "Haswell";
        QTest::newRow("Arrow Lake") << "arrow-lake-core-ultra-9-285.txt" << 6 << 198 << "Haswell";
        QTest::newRow("Ivy Bridge") << "ivy-bridge-xeon-e5-2650v2.txt" << 6 << 62 << "Sandybridge";
        QTest::newRow("Sandy Bridge") << "sandy-bridge-i7-2670qm.txt" << 6 << 42 << "Sandybridge";
        QTest::newRow("Zen") << "zen-epyc-7301.txt" << 23 << 1 << "Haswell";
        QTest::newRow("Zen 2") << "zen2-epyc-7742.txt" << 23 << 49 << "Haswell";
        QTest::newRow("Zen 3") << "zen3-ryzen-5950x.txt" << 25 << 33 << "Haswell";
        QTest::newRow("Zen 4") << "zen4-epyc-9654.txt" << 25 << 17 << "Cooperlake";
        QTest::newRow("Zen 4 (this machine)") << "zen4-epyc-kvm.txt" << 25 << 17 << "Cooperlake";
        QTest::newRow("Zen 5") << "zen5-ryzen-9950x.txt" << 26 << 68 << "Cooperlake";
        QTest::newRow("Core 2 (no AVX)") << "core2-pentium-e5700.txt" << 6 << 23 << "";
        QTest::newRow("K10 (no AVX)") << "k10-opteron-6136.txt" << 16 << 9 << "";
    }

    void recordedCpusGetTheirFamily() {
        QFETCH(QString, file);
        QFETCH(int, family);
        QFETCH(int, model);
        QFETCH(QString, expected);
        const CpuFeatures cpu = recorded(file);
        QVERIFY2(cpu.has("sse2"), "the recorded file was not read");
        QCOMPARE(cpu.family, family);
        QCOMPARE(cpu.model, model);
        QCOMPARE(QString::fromStdString(familyOf(cpu)), expected);
        // On a fallback core (OpenBLAS does not know the model), start-up forces exactly it.
        const KernelDecision d = decideKernels(inputs(cpu, "Prescott"));
        QCOMPARE(d.restart, !expected.isEmpty());
        QCOMPARE(QString::fromStdString(d.family), expected);
    }

    void noFamilyWithoutItsInstructions() {
        // Every recorded CPU, with each needed flag removed in turn: whatever is chosen, the
        // CPU has every instruction of it; without AVX2 it is never Haswell or better.
        for (const char* file : kRecorded) {
            const CpuFeatures full = recorded(file);
            std::set<std::string> needed;
            for (const auto& rule : blasFamilyTable()) needed.insert(rule.needs.begin(), rule.needs.end());
            for (const auto& flag : needed) {
                CpuFeatures cpu = full;
                cpu.flags.erase(flag);
                if (const BlasFamilyRule* r = bestBlasFamily(cpu))
                    for (const auto& f : r->needs) QVERIFY2(cpu.has(f), file);
                if (flag == "avx2" || flag == "fma") {
                    const std::string got = familyOf(cpu);
                    QVERIFY2(got == "Sandybridge" || got.empty(), (std::string(file) + ": " + got).c_str());
                }
            }
        }
        CpuFeatures haswell = recorded("haswell-xeon-e5-2680v3.txt");
        haswell.flags.erase("avx2");
        QCOMPARE(QString::fromStdString(familyOf(haswell)), QString("Sandybridge"));
    }

    void fallbackCoresAreOpenBlassGenericOnes() {
        for (const char* c : {"Prescott", "prescott", "Core2", "Nehalem", "Atom", "Katmai",
                              "Northwood", "Banias", "Penryn", "Dunnington", "Generic"})
            QVERIFY2(isFallbackCore(c), c);
        for (const char* c : {"Haswell", "SkylakeX", "Cooperlake", "Zen", "Sandybridge", ""})
            QVERIFY2(!isFallbackCore(c), c);
    }

    void theUsersCoretypeIsKept() {
        KernelInputs in = inputs(recorded("sapphire-rapids-xeon-8480.txt"), "Sandybridge");
        in.coretypeEnv = "Sandybridge";  // lower than the CPU allows: still the user's call
        KernelDecision d = decideKernels(in);
        QVERIFY(!d.restart);
        QCOMPARE(d.source, KernelSource::User);
        QVERIFY(QString::fromStdString(d.reason).contains("set by the user"));
        in.coretypeEnv = "Haswell";
        in.coreName = "Prescott";  // OpenBLAS did not take it: said, not overruled
        d = decideKernels(in);
        QVERIFY(!d.restart);
        QCOMPARE(d.source, KernelSource::User);
        QVERIFY(QString::fromStdString(d.reason).contains("OpenBLAS reports Prescott"));
        // A stale marker does not make the user's value trainlab's.
        in.marker = "forced";
        in.forcedFamily = "Cooperlake";
        QCOMPARE(decideKernels(in).source, KernelSource::User);
        QVERIFY(!shouldFallBack(decideKernels(in), in.marker));
    }

    void restartsAtMostOnce() {
        KernelInputs in = inputs(recorded("emerald-rapids-xeon-8575c.txt"), "Prescott");
        const KernelDecision first = decideKernels(in);
        QVERIFY(first.restart);
        QCOMPARE(QString::fromStdString(first.family), QString("Cooperlake"));
        QVERIFY(QString::fromStdString(first.reason).contains("OpenBLAS chose Prescott"));
        // The restarted process: its OPENBLAS_CORETYPE is trainlab's; kept, no restart.
        in.marker = "forced";
        in.forcedFamily = "Cooperlake";
        in.ownCore = "Prescott";
        in.coretypeEnv = "Cooperlake";
        in.coreName = "Cooperlake";
        KernelDecision again = decideKernels(in);
        QVERIFY(!again.restart);
        QCOMPARE(again.source, KernelSource::ForcedByTrainlab);
        QVERIFY(QString::fromStdString(again.reason).contains("restarted once"));
        // Marked, but OpenBLAS still on its fallback (the variable was lost): no second try.
        in.coretypeEnv.clear();
        in.coreName = "Prescott";
        again = decideKernels(in);
        QVERIFY(!again.restart);
        QCOMPARE(again.source, KernelSource::OpenBlasOwn);
        QCOMPARE(markerEntries("forced,selfcheck-failed").size(), size_t(2));
        QVERIFY(markerEntries("").empty());
    }

    void aFailedSelfCheckFallsBackOnce() {
        KernelInputs in = inputs(recorded("zen5-ryzen-9950x.txt"), "Cooperlake");
        in.marker = "forced";
        in.forcedFamily = "Cooperlake";
        in.ownCore = "Prescott";
        in.coretypeEnv = "Cooperlake";
        const KernelDecision forced = decideKernels(in);
        QVERIFY(shouldFallBack(forced, in.marker));  // trainlab's choice failed: undo it
        // The process restarted without it: OpenBLAS's own choice, never forced again.
        in.marker = "forced,selfcheck-failed";
        in.coretypeEnv.clear();
        in.coreName = "Prescott";
        const KernelDecision back = decideKernels(in);
        QVERIFY(!back.restart);
        QCOMPARE(back.source, KernelSource::SelfCheckFallback);
        QVERIFY(!shouldFallBack(back, in.marker));
        QVERIFY(QString::fromStdString(back.reason).contains("self-check failed"));
        // OpenBLAS's own choice failing is reported, not restarted.
        QVERIFY(!shouldFallBack(decideKernels(inputs(in.cpu, "Zen")), ""));
    }

    void nothingToChooseIsSaid() {
        const CpuFeatures spr = recorded("sapphire-rapids-xeon-8480.txt");
        KernelInputs in = inputs(spr, "Prescott");
        in.openBlas = false;
        in.library = "reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3)";
        KernelDecision d = decideKernels(in);
        QVERIFY(!d.restart);
        QCOMPARE(d.source, KernelSource::NotOpenBlas);
        QVERIFY(QString::fromStdString(d.reason).contains("reference BLAS"));
        in = inputs(spr, "Prescott");
        in.dynamicArch = false;  // one-CPU build: OPENBLAS_CORETYPE would change nothing
        QVERIFY(!decideKernels(in).restart);
        QVERIFY(!decideKernels(inputs(spr, "Haswell")).restart);  // not a fallback: kept
        d = decideKernels(inputs(recorded("core2-pentium-e5700.txt"), "Core2"));
        QVERIFY(!d.restart);
        QVERIFY(QString::fromStdString(d.reason).contains("no AVX"));
    }

    void selfCheckPassesRightAndCatchesWrong() {
        const SelfCheckResult ok = sgemmSelfCheck(naiveSgemm);
        QVERIFY2(ok.ran && ok.passed, ok.detail.c_str());
        QCOMPARE(ok.products, 5);
        QVERIFY(ok.worstRatio <= 1.0);
        const SelfCheckResult corrupt = sgemmSelfCheck(naiveSgemm, true);
        QVERIFY(corrupt.ran && !corrupt.passed);
        QVERIFY2(QString::fromStdString(corrupt.detail).startsWith("failed: 129x257x65"),
                 corrupt.detail.c_str());
        QVERIFY(!sgemmSelfCheck(sgemmIgnoringBeta).passed);
        QVERIFY(!sgemmSelfCheck(sgemmInBfloat16).passed);
        const SelfCheckResult none = sgemmSelfCheck(nullptr);
        QVERIFY(!none.ran && !none.passed);
    }

    void peakIsDerivedAndSaysHow() {
        const CorePeak zen4 = corePeak(recorded("zen4-epyc-9654.txt"), 2.4, "test");
        QCOMPARE(zen4.lanes, 8);  // 512-bit as two 256-bit halves
        QCOMPARE(zen4.gflops, 2.4 * 2 * 8 * 2);
        QVERIFY(QString::fromStdString(zen4.derivation()).contains("2 FMA units (assumed)"));
        QCOMPARE(corePeak(recorded("sapphire-rapids-xeon-8480.txt"), 2.0, "t").gflops, 128.0);
        QCOMPARE(corePeak(recorded("zen5-ryzen-9950x.txt"), 2.0, "t").lanes, 16);
        QCOMPARE(corePeak(recorded("sandy-bridge-i7-2670qm.txt"), 2.2, "t").gflops, 2.2 * 2 * 8);
        QCOMPARE(corePeak(recorded("zen-epyc-7301.txt"), 2.2, "t").gflops, 2.2 * 2 * 4 * 2);
        QCOMPARE(corePeak(recorded("core2-pentium-e5700.txt"), 3.0, "t").gflops, 24.0);
        QVERIFY(QString::fromStdString(corePeak(recorded("core2-pentium-e5700.txt"), 0, "unknown")
                                           .derivation())
                    .startsWith("unknown"));
    }

    void cpuidAgreesWithProcCpuinfo() {
        std::ifstream in("/proc/cpuinfo");
        if (!in) QSKIP("no /proc/cpuinfo");
        std::ostringstream s;
        s << in.rdbuf();
        const CpuFeatures proc = cpuFeaturesFromCpuinfo(s.str());
        const CpuFeatures live = detectCpuFeatures();
        if (proc.flags.empty() || !proc.has("sse2")) QSKIP("not an x86 /proc/cpuinfo");
        QCOMPARE(live.family, proc.family);
        QCOMPARE(live.model, proc.model);
        QCOMPARE(live.stepping, proc.stepping);
        QCOMPARE(live.modelName, proc.modelName);
        QCOMPARE(live.vendor, proc.vendor);
        // Linux shows a flag when the CPU has it and the OS saves its registers: as cpuid +
        // XGETBV here. (A kernel older than a flag's name may not show it: never the reverse.)
        for (const auto& f : simdFlagNames())
            if (proc.has(f)) QVERIFY2(live.has(f), f.c_str());
        for (const char* f : {"sse2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl"})
            QVERIFY2(live.has(f) == proc.has(f), f);
        QCOMPARE(QString::fromStdString(familyOf(live)), QString::fromStdString(familyOf(proc)));
    }

    void aProcessWithoutStartupReportsWhatItFinds() {
        // This test links no BLAS: nothing to choose, and said so; never a crash.
        const KernelChoice& c = kernelChoice();
        QVERIFY(!c.checkedAtStartup);
        QCOMPARE(c.blas.kind, BlasKind::None);
        QCOMPARE(c.decision.source, KernelSource::NotOpenBlas);
        QVERIFY(QString::fromStdString(kernelLogLine()).startsWith("kernels: no BLAS"));
        const nlohmann::json env = kernelEnvironmentJson();
        QCOMPARE(env.at("blas").at("core_source").get<std::string>(), std::string("not-openblas"));
        QCOMPARE(env.at("cpu").at("family").get<int>(), detectCpuFeatures().family);
        QCOMPARE(setOpenBlasThreads(1), -1);
        QCOMPARE(measureSgemm(nullptr).gflops, 0.0);
    }
};

QTEST_GUILESS_MAIN(TstBlasKernels)
#include "tst_blas_kernels.moc"
