package dev.converge.reference;

import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.prediction.AbstractPrediction;
import hex.genmodel.easy.prediction.BinomialModelPrediction;
import hex.genmodel.easy.prediction.MultinomialModelPrediction;
import hex.genmodel.easy.prediction.RegressionModelPrediction;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The scorer people write by hand: Spring Boot MVC on Tomcat, h2o-genmodel's wrapper, the MOJO named by the
 * property {@code mojo}. {@code POST /v1/predict} with {@code {"features": {...}}}, as converge takes it.
 */
@SpringBootApplication
@RestController
public class SpringScorer {
    private final EasyPredictModelWrapper model;

    public SpringScorer(org.springframework.core.env.Environment env) throws java.io.IOException {
        model = new EasyPredictModelWrapper(new EasyPredictModelWrapper.Config()
                .setModel(MojoModel.load(env.getRequiredProperty("mojo")))
                .setConvertUnknownCategoricalLevelsToNa(true)
                .setConvertInvalidNumbersToNa(true));
    }

    @PostMapping("/v1/predict")
    public Map<String, Object> predict(@RequestBody Map<String, Map<String, Object>> body) throws Exception {
        RowData row = new RowData();
        body.get("features").forEach((k, v) -> row.put(k, v instanceof Number n ? (Object) n.doubleValue()
                : String.valueOf(v)));
        AbstractPrediction p = model.predict(row);
        Map<String, Object> out = new LinkedHashMap<>();
        if (p instanceof BinomialModelPrediction b) {
            out.put("prediction", b.label);
            out.put("probabilities", b.classProbabilities);
        } else if (p instanceof MultinomialModelPrediction m) {
            out.put("prediction", m.label);
            out.put("probabilities", m.classProbabilities);
        } else if (p instanceof RegressionModelPrediction r) {
            out.put("prediction", r.value);
        }
        return out;
    }

    public static void main(String[] args) {
        SpringApplication.run(SpringScorer.class, args);
    }
}
