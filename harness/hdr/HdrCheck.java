// Decodes a vmmsim HdrHistogram interval log with HdrHistogram's own reader
// (Debian's libhdrhistogram-java) and prints, per tagged interval, what it decoded:
//   tag total min max p50 p90 p99 p99.9 count-of-each-value...
// harness/test_formats.py compares these with vmmsim's JSON.
import java.io.File;
import java.util.Locale;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.HistogramLogReader;

public class HdrCheck {
    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.US);
        HistogramLogReader r = new HistogramLogReader(new File(args[0]));
        EncodableHistogram e;
        while ((e = r.nextIntervalHistogram()) != null) {
            Histogram h = (Histogram) e;
            StringBuilder b = new StringBuilder();
            b.append(h.getTag()).append(' ').append(h.getTotalCount())
             .append(' ').append(h.getMinValue()).append(' ').append(h.getMaxValue())
             .append(' ').append(h.getNumberOfSignificantValueDigits());
            for (double p : new double[] {50.0, 90.0, 99.0, 99.9})
                b.append(' ').append(h.getValueAtPercentile(p));
            for (HistogramIterationValue v : h.recordedValues())
                b.append(' ').append(v.getValueIteratedTo()).append(':').append(v.getCountAtValueIteratedTo());
            System.out.println(b);
        }
    }
}
