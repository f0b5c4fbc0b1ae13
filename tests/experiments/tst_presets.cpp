// Presets: the built-ins are valid and match science.md; invalid ones name every bad field.
#include "mlp.h"  // torch before Qt

#include <QtTest>
#include <algorithm>
#include <set>

#include "errors.h"
#include "experiment_runner.h"
#include "preset.h"

using namespace trainlab;
using nlohmann::json;

namespace {
std::string tinyText() {
    QFile f(TRAINLAB_TEST_DATA "/tiny-fit.json");
    if (!f.open(QIODevice::ReadOnly)) qFatal("missing test data");
    return f.readAll().toStdString();
}
std::int64_t params(const json& widths) {
    MlpSpec s;
    s.widths = widths.get<std::vector<std::int64_t>>();
    return mlpParameterCount(s);
}
}  // namespace

class TstPresets : public QObject {
    Q_OBJECT
  private slots:
    void builtinsAreValidAndGrouped() {
        const auto& presets = builtinPresets();
        QVERIFY(presets.size() >= 6);
        for (const auto& p : presets) {
            QVERIFY2(validateExperimentConfig(p.kind, p.config).empty(), p.id.c_str());
            QVERIFY(!p.description.empty());
            QVERIFY(!p.expected.empty());
        }
        QCOMPARE(QString::fromStdString(presets.front().group), QString("Deep vs shallow"));
    }

    void everyPresetFileIsBuiltInSortedById() {
        // The presets are picked up from the folder (a glob), in id order.
        const QDir dir(TRAINLAB_TEST_DATA "/../../experiments/presets");
        const auto files = dir.entryList({"*.json"}, QDir::Files, QDir::Name);
        const auto& presets = builtinPresets();
        QCOMPARE(presets.size(), size_t(files.size()));
        std::set<std::string> ids;
        for (const auto& f : files) ids.insert(QFileInfo(f).completeBaseName().toStdString());
        for (size_t i = 0; i < presets.size(); ++i) {
            QVERIFY2(ids.count(presets[i].id), presets[i].id.c_str());
            if (i > 0) QVERIFY(presets[i - 1].id < presets[i].id);
        }
        QCOMPARE(QString::fromStdString(presets.front().id), QString("1-1-sin-cos"));
    }

    void everyPresetsKindRegisteredItself() {
        // Kinds register from static objects in their own .cpp, which a plain static link
        // would drop: each preset's kind must be found, built and laid out.
        const auto ids = experimentKindIds();
        QVERIFY(std::is_sorted(ids.begin(), ids.end()));
        for (const auto& p : builtinPresets()) {
            const ExperimentKind* kind = findExperimentKind(p.kind);
            QVERIFY2(kind, p.kind.c_str());
            QVERIFY2(std::find(ids.begin(), ids.end(), p.kind) != ids.end(), p.kind.c_str());
            QVERIFY(!kind->schema(p.config).empty());
            QVERIFY(kind->create);
        }
        for (const char* id : {"function_fit", "weight_pca", "minimal_ratio", "cnn_train",
                               "random_labels", "param_sweep", "interpolation", "sensitivity"})
            QVERIFY2(findExperimentKind(id), id);
    }

    void presetsMatchScienceMd() {
        const Preset f1 = resolvePreset("1-1-sin-cos");
        QCOMPARE(f1.config["train_grid"]["count"].get<int>(), 5000);
        QCOMPARE(f1.config["optimizer"].get<std::string>(), std::string("sgd"));
        QCOMPARE(f1.config["lr"].get<double>(), 1e-2);
        QCOMPARE(f1.config["max_steps"].get<int>(), 15000);
        QCOMPARE(f1.config["stop"]["rule"].get<std::string>(), std::string("plateau"));
        QCOMPARE(f1.config["stop"]["tolerance"].get<double>(), 1e-5);
        QCOMPARE(params(f1.config["models"][0]["widths"]), 5831);
        QCOMPARE(params(f1.config["models"][1]["widths"]), 4011);
        QCOMPARE(params(f1.config["models"][2]["widths"]), 1141);
        const Preset f2 = resolvePreset("1-1-sinc");
        QCOMPARE(f2.config["train_grid"]["count"].get<int>(), 301);
        QCOMPARE(f2.config["optimizer"].get<std::string>(), std::string("adam"));
        QCOMPARE(params(f2.config["models"][0]["widths"]), 571);
        QCOMPARE(params(f2.config["models"][1]["widths"]), 556);
        QCOMPARE(params(f2.config["models"][2]["widths"]), 547);
        QCOMPARE(resolvePreset("1-1-sinc-patience").config["stop"]["rule"].get<std::string>(),
                 std::string("patience"));
        const Preset g = resolvePreset("2-2-gradient-norm");
        QCOMPARE(params(g.config["models"][0]["widths"]), 599);
        QCOMPARE(g.config["train_grid"]["step"].get<double>(), 0.001);
        QCOMPARE(g.config["lr"].get<double>(), 1e-3);
        QCOMPARE(g.config["max_steps"].get<int>(), 15000);
        QVERIFY(g.config["show_gradient_norm"].get<bool>());
        QVERIFY(g.config["normalise"].get<bool>());
        QVERIFY(!resolvePreset("2-2-gradient-norm-original").config["normalise"].get<bool>());
    }

    void testPresetFileLoads() {
        const Preset p = parsePreset(tinyText(), "tiny-fit.json");
        QCOMPARE(QString::fromStdString(p.id), QString("test-tiny-fit"));
    }

    void invalidPresetNamesEveryBadField() {
        json j = json::parse(tinyText());
        j.erase("title");
        j["group"] = "Misc";
        j["config"]["lr"] = -0.5;
        j["config"]["optimizer"] = "rmsprop";
        j["config"]["models"][1]["widths"] = json::array({1, 0, 1});
        j["config"]["max_steps"] = "many";
        try {
            parsePreset(j.dump(), "bad.json");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            const auto& p = e.problems();
            QCOMPARE(p.size(), size_t(6));
            std::string all;
            for (const auto& m : p) {
                QVERIFY2(m.rfind("bad.json: ", 0) == 0, m.c_str());
                all += m + "\n";
            }
            for (const char* field :
                 {"'title'", "'group'", "'lr'", "'optimizer'", "'models.1.widths'", "'max_steps'"})
                QVERIFY2(all.find(field) != std::string::npos, field);
        }
    }

    void crossFieldRulesAreChecked() {
        json j = json::parse(tinyText());
        j["config"]["models"][0]["widths"] = json::array({2, 5, 1});
        j["config"]["batch_size"] = 5000;
        try {
            parsePreset(j.dump(), "x.json");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QCOMPARE(e.problems().size(), size_t(2));
        }
        j = json::parse(tinyText());
        j["config"]["models"] = json::array();
        QVERIFY_THROWS_EXCEPTION(ConfigError, parsePreset(j.dump(), "x.json"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, parsePreset("{ \"id\": ", "truncated.json"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, parsePreset("[]", "array.json"));
        j = json::parse(tinyText());
        j["kind"] = "nope";
        QVERIFY_THROWS_EXCEPTION(ConfigError, parsePreset(j.dump(), "kind.json"));
    }

    void absurdSizesAreRefused() {
        json j = json::parse(tinyText());
        j["config"]["max_steps"] = 1000000000;  // a billion steps
        j["config"]["train_grid"]["count"] = 0;
        j["config"]["train_grid"]["step"] = 1e-9;                     // billions of points
        j["config"]["models"][0]["widths"] = json::array({1, 0, 1});  // zero width
        try {
            parsePreset(j.dump(), "absurd.json");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY(e.problems().size() >= 2);
        }
    }

    void overridesGoThroughTheSchema() {
        const Preset p = parsePreset(tinyText(), "tiny");
        json c = p.config;
        applyOverride(p.kind, c, "lr=0.5");
        QCOMPARE(c["lr"].get<double>(), 0.5);
        applyOverride(p.kind, c, "models.0.widths=1,3,1");
        QCOMPARE(c["models"][0]["widths"].size(), size_t(3));
        applyOverride(p.kind, c, "stop.rule=patience");
        QCOMPARE(c["stop"]["rule"].get<std::string>(), std::string("patience"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, applyOverride(p.kind, c, "learning_rate=0.1"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, applyOverride(p.kind, c, "lr"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, applyOverride(p.kind, c, "lr=fast"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, applyOverride(p.kind, c, "max_steps=1000000000"));
    }

    void unknownPresetListsTheKnownOnes() {
        try {
            resolvePreset("no-such-preset");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY(std::string(e.what()).find("1-1-sinc") != std::string::npos);
        }
    }
};

QTEST_APPLESS_MAIN(TstPresets)
#include "tst_presets.moc"
