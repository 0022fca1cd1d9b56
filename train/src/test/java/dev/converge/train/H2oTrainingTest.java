package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;

import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.prediction.BinomialModelPrediction;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import water.fvec.Frame;

/** Real H2O: frames built from point-in-time rows, trained, exported, and scored again with genmodel alone. */
class H2oTrainingTest {
    @TempDir
    static Path work;

    @BeforeAll
    static void cloud() {
        H2oCloud.start(H2oCloud.Config.local(work, H2oCloud.freePortPair("127.0.0.1", 54421))); // not a fixed port
    }

    @Test
    void aGbmTrainedInH2oScoresTheSameWithGenmodelAlone() throws Exception {
        TrainingTable table = TrainingTable.fromPit(SyntheticData.rows(3000, 7), SyntheticData.SCHEMA, "label",
                List.of(), null);
        int[] all = table.allRows();
        int[] train = java.util.Arrays.copyOfRange(all, 0, 2400);
        int[] test = java.util.Arrays.copyOfRange(all, 2400, 3000);
        Frame trainFrame = table.toFrame(train, "train_gbm");
        Frame testFrame = table.toFrame(test, "test_gbm");

        Trainer.Trained t = Trainer.train(new TaskConfig("gbm", Map.of("ntrees", 30, "max_depth", 4), null),
                trainFrame, testFrame, "label");

        assertThat((Double) t.metrics().get("auc")).isGreaterThan(0.8);
        ByteArrayOutputStream mojo = new ByteArrayOutputStream();
        t.model().getMojo().writeTo(mojo);
        Path file = work.resolve("gbm.zip");
        Files.write(file, mojo.toByteArray());
        EasyPredictModelWrapper genmodel = new EasyPredictModelWrapper(MojoModel.load(file.toString()));
        Frame inCluster = t.model().score(testFrame);
        for (int i = 0; i < 200; i++) {
            RowData row = new RowData();
            row.putAll(table.rowData(test[i]));
            BinomialModelPrediction p = genmodel.predictBinomial(row);
            assertThat(p.classProbabilities[1]).isCloseTo(inCluster.vec(2).at(i), org.assertj.core.data.Offset.offset(1e-9));
        }
        inCluster.delete();
    }
}
