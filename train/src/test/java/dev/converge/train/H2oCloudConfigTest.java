package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node other hosts can reach runs internode TLS or is refused; no node starts H2O's REST API. */
class H2oCloudConfigTest {
    @TempDir
    Path work;

    private H2oCloud.Config config(String bind, Path security, boolean insecure) {
        return new H2oCloud.Config("c", bind, 54321, null, 1, work, -1, Duration.ofSeconds(10), security, insecure);
    }

    @Test
    void aReachableNodeWithoutTlsIsRefusedByName() {
        assertThatThrownBy(() -> config("10.1.2.3", null, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("h2o.bind is 10.1.2.3").hasMessageContaining("h2o.internal_security_conf")
                .hasMessageContaining("h2o.allow_insecure");
        assertThat(config("127.0.0.1", null, false).args()).contains("-disable_web").doesNotContain(
                "-internal_security_conf");
        assertThat(config("10.1.2.3", null, true).args()).contains("-ip", "10.1.2.3");
    }

    @Test
    void internodeTlsIsPassedToH2oAndTheRestApiIsOffOnEveryNode() throws Exception {
        Path conf = Files.writeString(work.resolve("security.properties"), "h2o_ssl_protocol=TLSv1.2\n");
        var args = config("10.1.2.3", conf, false).args();
        assertThat(args).containsSequence("-internal_security_conf", conf.toString()).contains("-disable_web");
        assertThat(args).containsSequence("-web_ip", "127.0.0.1");
        assertThatThrownBy(() -> config("10.1.2.3", work.resolve("missing.properties"), false))
                .hasMessageContaining("cannot be read");
    }
}
