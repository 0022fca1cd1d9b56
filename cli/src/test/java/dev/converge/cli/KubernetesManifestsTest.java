package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s as a reviewer would check it: each overlay renders with {@code kubectl kustomize} (Debian's kubectl;
 * skipped, saying so, without it), every object parses into its typed Kubernetes model (fabric8), and the rules
 * hold: limits and requests set (memory request equal to its limit), the three probes on the health routes, a
 * preStop drain, anti-affinity, the image tagged with versions.env's CONVERGE_VERSION (never latest), a heap that
 * fits the memory limit, and every reference (HPA target, PDB and Service selectors, ports, the Ingress backend)
 * pointing at something that exists.
 */
class KubernetesManifestsTest {
    static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    static String kustomize(String overlay) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", ROOT.resolve(overlay.contains("/") ? overlay
                    : "deploy/k8s/overlays/" + overlay).toString())
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("kubectl is not installed (apt-get install kubectl): the manifests were not rendered");
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    static List<HasMetadata> objects(String rendered) throws Exception {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : rendered.split("(?m)^---$")) {
            if (doc.isBlank()) {
                continue;
            }
            String kind = (String) YAML.readValue(doc, Map.class).get("kind");
            Class<? extends HasMetadata> type = switch (kind) {
                case "Deployment" -> Deployment.class;
                case "Service" -> Service.class;
                case "ConfigMap" -> ConfigMap.class;
                case "HorizontalPodAutoscaler" -> HorizontalPodAutoscaler.class;
                case "PodDisruptionBudget" -> PodDisruptionBudget.class;
                case "Ingress" -> Ingress.class;
                case "PersistentVolumeClaim" -> io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class;
                case "StatefulSet" -> io.fabric8.kubernetes.api.model.apps.StatefulSet.class;
                case "CronJob" -> io.fabric8.kubernetes.api.model.batch.v1.CronJob.class;
                case "Job" -> io.fabric8.kubernetes.api.model.batch.v1.Job.class;
                default -> throw new AssertionError("a kind the manifests are not expected to hold: " + kind);
            };
            HasMetadata typed = YAML.readValue(doc, type);
            List<String> unknown = new ArrayList<>();
            unknownFields(typed, kind, unknown);
            assertThat(unknown).as("fields the Kubernetes model does not know (misspelled?)").isEmpty();
            out.add(typed);
        }
        return out;
    }

    /** The model keeps a field it does not know in additionalProperties instead of failing: look for any. */
    static void unknownFields(Object o, String path, List<String> found) throws Exception {
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), found);
            }
            return;
        }
        if (o instanceof java.util.Collection<?> c) {
            int i = 0;
            for (Object x : c) {
                unknownFields(x, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (o == null || !o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (java.lang.reflect.Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class
                    || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Object v = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), found);
            }
        }
    }

    static <T> T one(List<HasMetadata> all, Class<T> type) {
        List<T> of = all.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(of).as(type.getSimpleName()).hasSize(1);
        return of.get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void eachOverlayRendersToTypedObjectsThatFollowTheRules(String overlay) throws Exception {
        List<HasMetadata> all = objects(kustomize(overlay));
        Deployment serve = one(all, Deployment.class);
        Properties versions = new Properties();
        try (var in = Files.newBufferedReader(ROOT.resolve("versions.env"))) {
            versions.load(in);
        }

        var pod = serve.getSpec().getTemplate().getSpec();
        assertThat(pod.getAffinity().getPodAntiAffinity()).as("replicas spread over nodes").isNotNull();
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(10L);
        for (Container c : pod.getContainers()) {
            assertThat(c.getImage()).as("image tag").endsWith(":" + versions.getProperty("CONVERGE_VERSION"))
                    .doesNotEndWith(":latest");
            Map<String, Quantity> limits = c.getResources().getLimits();
            Map<String, Quantity> requests = c.getResources().getRequests();
            assertThat(limits).containsKey("memory");
            assertThat(requests).containsKeys("cpu", "memory");
            assertThat(requests.get("memory")).as("memory request = limit").isEqualTo(limits.get("memory"));
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
            assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
            assertThat(c.getLifecycle().getPreStop().getSleep().getSeconds()).as("a drain before the server stops,"
                    + " without a shell (the image has none)").isGreaterThan(0);
            assertThat(c.getCommand()).as("the image's entry point is the server").isEmpty();
            assertThat(c.getArgs()).isEmpty();
            assertThat(c.getImage()).as("the image serve/pom.xml builds (an overlay may move it to its registry)")
                    .matches("([a-z0-9.-]+(:[0-9]+)?/)?converge/converge-serve:.*");
            assertThat(c.getPorts()).anyMatch(p -> "http".equals(p.getName()));
        }
        assertThat(serve.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();

        ConfigMap config = one(all, ConfigMap.class);
        String opts = config.getData().get("JDK_JAVA_OPTIONS");
        assertThat(opts).as("JVM options the java launcher reads itself").contains("-Xmx");
        long heap = Quantity.getAmountInBytes(new Quantity(opts.replaceAll(".*-Xmx(\\d+)m.*", "$1") + "Mi"))
                .longValue();
        long limit = Quantity.getAmountInBytes(pod.getContainers().get(0).getResources().getLimits().get("memory"))
                .longValue();
        assertThat(heap + 128L * 1024 * 1024).as("the maximum heap plus room for the rest fits the limit")
                .isLessThanOrEqualTo(limit);
        assertThat(pod.getContainers().get(0).getEnvFrom()).anyMatch(e -> e.getConfigMapRef() != null
                && config.getMetadata().getName().equals(e.getConfigMapRef().getName()));

        var claim = one(all, io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class);
        var artifacts = pod.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null).toList();
        assertThat(artifacts).as("the artifact store's volume").hasSize(1);
        assertThat(artifacts.get(0).getPersistentVolumeClaim().getClaimName()).isEqualTo(claim.getMetadata().getName());
        assertThat(pod.getContainers().get(0).getVolumeMounts())
                .anyMatch(m -> m.getName().equals(artifacts.get(0).getName()) && Boolean.TRUE.equals(m.getReadOnly()))
                .allMatch(m -> pod.getVolumes().stream().anyMatch(v -> v.getName().equals(m.getName())));

        Map<String, String> podLabels = serve.getSpec().getTemplate().getMetadata().getLabels();
        HorizontalPodAutoscaler hpa = one(all, HorizontalPodAutoscaler.class);
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(serve.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isLessThanOrEqualTo(hpa.getSpec().getMaxReplicas());
        assertThat(hpa.getSpec().getMetrics()).extracting(m -> m.getType()).contains("Resource", "Pods");
        PodDisruptionBudget pdb = one(all, PodDisruptionBudget.class);
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).as("a node can still be drained")
                .isLessThan(serve.getSpec().getReplicas());
        Service svc = one(all, Service.class);
        assertThat(podLabels).containsAllEntriesOf(svc.getSpec().getSelector());
        Ingress ingress = one(all, Ingress.class);
        assertThat(ingress.getSpec().getTls()).as("TLS at the ingress").isNotEmpty();
        var backend = ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService();
        assertThat(backend.getName()).isEqualTo(svc.getMetadata().getName());
        assertThat(svc.getSpec().getPorts()).anyMatch(p -> p.getName().equals(backend.getPort().getName()));
        assertThat(all).allMatch(o -> o.getMetadata().getNamespace() != null, "every object in the overlay's namespace");
        if (overlay.equals("prod")) {
            assertThat(serve.getSpec().getReplicas()).isGreaterThanOrEqualTo(3);
            assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(3);
        }
    }

    /** Every container of a pod: limits and requests set, memory requested as limited, an image of this version. */
    static void containersFollowTheRules(io.fabric8.kubernetes.api.model.PodSpec pod, String image, Properties versions) {
        List<Container> all = new ArrayList<>(pod.getContainers());
        all.addAll(pod.getInitContainers());
        for (Container c : all) {
            assertThat(c.getImage()).as(c.getName() + "'s image").isEqualTo(image + ":"
                    + versions.getProperty("CONVERGE_VERSION")).doesNotEndWith(":latest");
            Map<String, Quantity> limits = c.getResources().getLimits();
            Map<String, Quantity> requests = c.getResources().getRequests();
            assertThat(limits).as(c.getName()).containsKey("memory");
            assertThat(requests).as(c.getName()).containsKeys("cpu", "memory");
            assertThat(requests.get("memory")).as(c.getName() + ": memory request = limit").isEqualTo(limits.get("memory"));
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(c.getName()).isTrue();
            assertThat(c.getVolumeMounts()).as(c.getName() + "'s mounts name volumes of the pod")
                    .allMatch(m -> pod.getVolumes().stream().anyMatch(v -> v.getName().equals(m.getName())));
        }
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(e -> e.getValue()).findFirst().orElse(null);
    }

    @Test
    void theTrainingCloudRendersToTypedObjectsThatFollowTheRules() throws Exception {
        List<HasMetadata> all = objects(kustomize("deploy/k8s/training"));
        Properties versions = new Properties();
        try (var in = Files.newBufferedReader(ROOT.resolve("versions.env"))) {
            versions.load(in);
        }
        var sts = one(all, io.fabric8.kubernetes.api.model.apps.StatefulSet.class);
        var pod = sts.getSpec().getTemplate().getSpec();
        containersFollowTheRules(pod, "converge/converge-train", versions);
        Map<String, String> labels = sts.getSpec().getTemplate().getMetadata().getLabels();

        // The headless Service the nodes find each other through, before they are ready.
        Service headless = one(all, Service.class);
        assertThat(sts.getSpec().getServiceName()).isEqualTo(headless.getMetadata().getName());
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(labels).containsAllEntriesOf(headless.getSpec().getSelector());
        assertThat(sts.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");

        // One node per host, required.
        var anti = pod.getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
        assertThat(anti).anyMatch(t -> t.getTopologyKey().equals("kubernetes.io/hostname")
                && labels.entrySet().containsAll(t.getLabelSelector().getMatchLabels().entrySet()));

        Container node = pod.getContainers().get(0);
        assertThat(node.getArgs()).startsWith("h2o-node");
        assertThat(env(node, "H2O_KUBERNETES_SERVICE_DNS")).isEqualTo(headless.getMetadata().getName());
        assertThat(env(node, "H2O_NODE_EXPECTED_COUNT")).as("the cloud's size is the StatefulSet's")
                .isEqualTo(Integer.toString(sts.getSpec().getReplicas()));
        assertThat(env(node, "CONVERGE_H2O_INTERNAL_SECURITY_CONF")).as("internode TLS on the pod network").isNotNull();
        String probes = node.getPorts().stream().filter(p -> p.getName().equals("probes")).findFirst().orElseThrow()
                .getName();
        assertThat(node.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
        assertThat(node.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo(probes);
        assertThat(node.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");

        // The heap from the memory split of the node container's own limit, as an argfile the JVM reads first.
        Container split = pod.getInitContainers().get(0);
        assertThat(split.getArgs()).startsWith("memory-split").contains("--argfile");
        String argfile = split.getArgs().get(split.getArgs().indexOf("--argfile") + 1);
        assertThat(node.getCommand()).element(1).isEqualTo("@" + argfile);
        assertThat(node.getCommand().toString()).doesNotContain("-Xmx");
        var limitRef = split.getEnv().stream().filter(e -> e.getValueFrom() != null
                && e.getValueFrom().getResourceFieldRef() != null).findFirst().orElseThrow();
        assertThat(limitRef.getValueFrom().getResourceFieldRef().getContainerName()).isEqualTo(node.getName());
        assertThat(limitRef.getValueFrom().getResourceFieldRef().getResource()).isEqualTo("limits.memory");
        assertThat(split.getArgs()).contains("$(" + limitRef.getName() + ")");
        String dir = argfile.substring(0, argfile.lastIndexOf('/'));
        String volume = split.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(dir)).findFirst()
                .orElseThrow().getName();
        assertThat(node.getVolumeMounts()).anyMatch(m -> m.getName().equals(volume) && m.getMountPath().equals(dir));

        PodDisruptionBudget pdb = one(all, PodDisruptionBudget.class);
        assertThat(labels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());

        // Training joins that cloud as a client and writes where the servers read.
        var cron = one(all, io.fabric8.kubernetes.api.model.batch.v1.CronJob.class);
        var trainPod = cron.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        containersFollowTheRules(trainPod, "converge/converge-train", versions);
        Container train = trainPod.getContainers().get(0);
        assertThat(train.getArgs()).startsWith("train");
        assertThat(env(train, "CONVERGE_H2O_ROLE")).isEqualTo("client");
        assertThat(env(train, "H2O_KUBERNETES_SERVICE_DNS")).isEqualTo(headless.getMetadata().getName());
        assertThat(env(train, "H2O_NODE_EXPECTED_COUNT")).isEqualTo(Integer.toString(sts.getSpec().getReplicas()));
        assertThat(env(train, "CONVERGE_H2O_NAME")).isEqualTo(env(node, "CONVERGE_H2O_NAME"));
        assertThat(cron.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
        String artifacts = train.getArgs().get(train.getArgs().indexOf("--artifacts") + 1);
        assertThat(train.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals(artifacts));
        String servingClaim = Files.readString(ROOT.resolve("deploy/k8s/base/artifacts-pvc.yaml"))
                .replaceAll("(?s).*name: ([a-z-]+).*", "$1");
        assertThat(trainPod.getVolumes()).anyMatch(v -> v.getPersistentVolumeClaim() != null
                && v.getPersistentVolumeClaim().getClaimName().equals(servingClaim));
        assertThat(Files.readString(ROOT.resolve("deploy/k8s/base/serve-deployment.yaml")))
                .as("the servers mount the artifacts where training writes them").contains("mountPath: " + artifacts);

        var migrate = one(all, io.fabric8.kubernetes.api.model.batch.v1.Job.class);
        containersFollowTheRules(migrate.getSpec().getTemplate().getSpec(), "converge/converge-train", versions);
        assertThat(migrate.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).containsExactly("migrate");
        assertThat(all).allMatch(o -> "converge".equals(o.getMetadata().getNamespace()));
    }
}
