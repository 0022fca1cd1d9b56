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

    @Test
    void nodesLetClientsJoinAndAClientMustBeToldWhichNodes() throws Exception {
        Path flatfile = Files.writeString(work.resolve("flatfile"), "127.0.0.1:54321\n127.0.0.1:54331\n");
        var node = new H2oCloud.Config("c", "127.0.0.1", 54321, flatfile, 2, work, -1, Duration.ofSeconds(10), null,
                false, H2oCloud.Role.NODE);
        assertThat(node.args()).contains("-allow_clients", "-disable_web").doesNotContain("-client");
        var client = new H2oCloud.Config("c", "127.0.0.1", 54341, flatfile, 2, work, -1, Duration.ofSeconds(10), null,
                false, H2oCloud.Role.CLIENT);
        assertThat(client.args()).contains("-client", "-disable_web").doesNotContain("-allow_clients");
        assertThat(config("127.0.0.1", null, false).args()).doesNotContain("-client", "-allow_clients");
        assertThatThrownBy(() -> new H2oCloud.Config("c", "127.0.0.1", 54341, null, 1, work, -1,
                Duration.ofSeconds(10), null, false, H2oCloud.Role.CLIENT)).hasMessageContaining("h2o.role is client")
                .hasMessageContaining("h2o.flatfile");
        assertThatThrownBy(() -> H2oCloud.Role.parse("leader")).hasMessageContaining("member, node or client");
    }
}
