package dev.converge.serve.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The statistics of the experiment report against values computed independently (scipy.stats: ttest_ind with equal_var=False, t.sf, t.ppf). */
class ExperimentReportTest {
    @Test
    void studentTailsAndQuantilesMatchTables() {
        assertThat(ExperimentReport.studentTwoSided(2.228, 10)).isCloseTo(0.05, within(2e-4)); // qt(0.975, 10)
        assertThat(ExperimentReport.studentTwoSided(1.96, 1e6)).isCloseTo(0.05, within(1e-4));
        assertThat(ExperimentReport.studentTwoSided(0, 5)).isCloseTo(1.0, within(1e-12));
        assertThat(ExperimentReport.studentQuantile975(10)).isCloseTo(2.2281, within(1e-3));
        assertThat(ExperimentReport.studentQuantile975(3)).isCloseTo(3.1824, within(1e-3));
    }

    @Test
    void welchMatchesScipy() {
        // scipy.stats.ttest_ind(a, b, equal_var=False): t = 3.068941, df = 8.975339, p = 0.013420
        double[] a = {19.1, 20.3, 21.7, 18.9, 22.4, 20.0};
        double[] b = {17.2, 18.8, 16.9, 19.5, 18.1};
        ExperimentReport.Comparison c = ExperimentReport.welch("challenger", 2, a, b);
        assertThat(c.difference()).isCloseTo(20.4 - 18.1, within(1e-9));
        assertThat(c.t()).isCloseTo(3.068941, within(1e-5));
        assertThat(c.df()).isCloseTo(8.975339, within(1e-5));
        assertThat(c.p()).isCloseTo(0.013420, within(1e-5));
        assertThat(c.low()).isLessThan(c.difference()).isGreaterThan(0);
    }

    @Test
    void identicalSamplesShowNoDifference() {
        double[] a = {0.3, 0.5, 0.7, 0.2};
        ExperimentReport.Comparison c = ExperimentReport.welch("shadow", 2, a, a.clone());
        assertThat(c.difference()).isZero();
        assertThat(c.p()).isCloseTo(1.0, within(1e-9));
    }
}
