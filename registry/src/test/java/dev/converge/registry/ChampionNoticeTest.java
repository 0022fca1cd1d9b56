package dev.converge.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ChampionNoticeTest {
    @Test
    void aNoticeRoundTripsThroughItsPayload() {
        ChampionNotice v3 = new ChampionNotice("credit:risk", OptionalInt.of(3));
        ChampionNotice none = new ChampionNotice("m", OptionalInt.empty());

        assertThat(v3.encode()).isEqualTo("credit:risk:3");
        assertThat(ChampionNotice.decode(v3.encode())).hasValue(v3);
        assertThat(none.encode()).isEqualTo("m:none");
        assertThat(ChampionNotice.decode("m:none")).hasValue(none);
    }

    @Test
    void payloadsThatAreNotNoticesAreIgnored() {
        assertThat(ChampionNotice.decode("hello")).isEmpty();
        assertThat(ChampionNotice.decode("m:three")).isEmpty();
        assertThat(ChampionNotice.decode(":3")).isEmpty();
        assertThat(ChampionNotice.decode(null)).isEmpty();
    }
}
