import java.nio.file.Files;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * {@code Enrich CONFIG INPUT OUTPUT [--expect N] [--key-prefix K] [--timeout S] [--state-dir D]
 * [--stateless true] [--linger S] [--set k=v]}: a Kafka
 * Streams application configured by the generated streams properties (application.id,
 * processing.guarantee, credentials) as they are. Orders (value: a customer) are re-keyed by
 * customer (a repartition topic), counted per customer (a state store with its changelog topic),
 * mapped to "customer=count" and written to OUTPUT ("-": no sink, for an application that writes
 * nothing). {@code --stateless}: the records pass unchanged, with no internal topic. Stops S seconds after N output records whose key starts with K; one JSON line per output
 * record, then a summary.
 */
public final class Enrich {
    public static void main(String[] argv) {
        System.exit(run(new Common.Args(argv)));
    }

    static int run(Common.Args args) {
        String input = args.get(1);
        String output = args.get(2);
        int expect = Integer.parseInt(args.option("expect", "1"));
        String keyPrefix = args.option("key-prefix", "");
        long timeout = Long.parseLong(args.option("timeout", "90"));
        AtomicInteger written = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        try {
            Properties props = Common.load(args.get(0), args.overrides);
            // The application's own choices, not the platform's: the file does not carry them.
            props.putIfAbsent(StreamsConfig.STATE_DIR_CONFIG,
                    args.option("state-dir", Files.createTempDirectory("enrich-state").toString()));
            props.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0"); // one output per input
            // Purge the repartition topic at every commit (DeleteRecords), so a short run exercises it.
            props.putIfAbsent(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, "0");
            // Leave the group on close, so the next run is not held up for a session timeout (45 s)
            // waiting for this member to expire (Streams keeps its members on close by default).
            props.putIfAbsent(StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close"), "true");

            StreamsBuilder builder = new StreamsBuilder();
            KStream<String, String> orders = builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()));
            KStream<String, String> counts = args.options.containsKey("stateless")
                    ? orders.mapValues((order, customer) -> customer) // no internal topic: only the group
                    : orders.selectKey((order, customer) -> customer)
                    .groupByKey(Grouped.with("by-customer", Serdes.String(), Serdes.String()))
                    .count(Materialized.as("orders-per-customer"))
                    .toStream()
                    .mapValues((customer, count) -> customer + "=" + count);
            counts = counts.peek((customer, value) -> {
                        Common.emit(Common.fields("key", customer, "value", value));
                        if (customer.startsWith(keyPrefix) && written.incrementAndGet() >= expect) done.countDown();
                    });
            if (!output.equals("-")) counts.to(output, Produced.with(Serdes.String(), Serdes.String()));

            try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
                streams.setUncaughtExceptionHandler(e -> {
                    failure.compareAndSet(null, e);
                    done.countDown();
                    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                });
                streams.setStateListener((now, before) -> {
                    if (now == KafkaStreams.State.ERROR) done.countDown();
                });
                // A run that stops answering (a close that waits on a refused restore) still ends:
                // after its own time, the linger and the close's 30 s, with what it saw.
                long bound = timeout + Long.parseLong(args.option("linger", "0")) + 45;
                Thread watchdog = new Thread(() -> {
                    try {
                        Thread.sleep(bound * 1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    int code = failure.get() != null ? Common.fail(failure.get())
                            : Common.timeout("no answer after " + bound + " s; wrote " + written.get() + " records");
                    System.out.flush();
                    System.err.flush();
                    Runtime.getRuntime().halt(code);
                });
                watchdog.setDaemon(true);
                watchdog.start();
                streams.start();
                boolean finished = done.await(timeout, TimeUnit.SECONDS);
                // Keep running a little: the next commits (and, after them, the purges) happen.
                if (finished && failure.get() == null) Thread.sleep(Long.parseLong(args.option("linger", "0")) * 1000);
                streams.close(Duration.ofSeconds(30));
                if (failure.get() != null) return Common.fail(failure.get());
                if (!finished) return Common.timeout("wrote " + written.get() + " of " + expect + " records to " + output);
                if (written.get() < expect) return Common.timeout("stopped in state ERROR after " + written.get() + " records");
                Common.emit(Common.fields("written", written.get()));
                return 0;
            }
        } catch (Exception e) {
            return Common.fail(e);
        }
    }
}
