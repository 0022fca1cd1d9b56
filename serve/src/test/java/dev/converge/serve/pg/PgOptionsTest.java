package dev.converge.serve.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.registry.PgEndpoint;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import org.junit.jupiter.api.Test;

/** The reactive client connects as the JDBC URL says, TLS included. */
class PgOptionsTest {
    private static PgConnectOptions options(String url) {
        return PgClients.options(new PgEndpoint(url, null, null, null));
    }

    @Test
    void sslmodeIsKeptWithLibpqsMeaning() {
        assertThat(options("jdbc:postgresql://db:5432/features").getSslMode()).isEqualTo(SslMode.DISABLE);
        PgConnectOptions require = options("jdbc:postgresql://db:5432/features?sslmode=require&user=app");
        assertThat(require.getSslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(require.getSslOptions().isTrustAll()).as("require encrypts, it does not verify").isTrue();
        assertThat(require.getUser()).isEqualTo("app");
        PgConnectOptions full = options("jdbc:postgresql://db/features?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem");
        assertThat(full.getSslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(full.getSslOptions().isTrustAll()).isFalse();
        assertThat(full.getSslOptions().getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
        assertThat(full.getSslOptions().getTrustOptions()).isNotNull();
    }

    @Test
    void anUnknownSslmodeIsRefusedByName() {
        assertThatThrownBy(() -> options("jdbc:postgresql://db/features?sslmode=requir"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sslmode")
                .hasMessageContaining("'requir'");
    }

    @Test
    void aReadReplicaTakesThePrimarysCredentialsUnlessItsUrlNamesItsOwn() {
        PgEndpoint primary = new PgEndpoint("jdbc:postgresql://primary/features", "app", "secret", "s1");
        PgConnectOptions same = PgClients.options(PgClients.replicaEndpoint(
                "jdbc:postgresql://standby:5433/features", primary));
        assertThat(same.getHost()).isEqualTo("standby");
        assertThat(same.getPort()).isEqualTo(5433);
        assertThat(same.getUser()).isEqualTo("app");
        assertThat(same.getPassword()).isEqualTo("secret");
        PgConnectOptions own = PgClients.options(PgClients.replicaEndpoint(
                "jdbc:postgresql://standby/features?user=reader&password=other", primary));
        assertThat(own.getUser()).isEqualTo("reader");
        assertThat(own.getPassword()).isEqualTo("other");
        PgConnectOptions ownUser = PgClients.options(PgClients.replicaEndpoint(
                "jdbc:postgresql://standby/features?user=reader", primary));
        assertThat(ownUser.getUser()).isEqualTo("reader");
        assertThat(ownUser.getPassword()).as("the primary's password, the replica's user").isEqualTo("secret");
    }
}
