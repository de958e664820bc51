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
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * {@code Enrich CONFIG INPUT OUTPUT --expect N [--timeout S] [--state-dir D] [--set k=v]}: a Kafka
 * Streams application configured by the generated streams properties (application.id,
 * processing.guarantee, credentials) as they are. Orders (value: a customer) are re-keyed by
 * customer (a repartition topic), counted per customer (a state store with its changelog topic),
 * mapped to "customer=count" and written to OUTPUT. Stops after N output records; one JSON line
 * per output record, then a summary.
 */
public final class Enrich {
    public static void main(String[] argv) {
        System.exit(run(new Common.Args(argv)));
    }

    static int run(Common.Args args) {
        String input = args.get(1);
        String output = args.get(2);
        int expect = Integer.parseInt(args.option("expect", "1"));
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

            StreamsBuilder builder = new StreamsBuilder();
            builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                    .selectKey((order, customer) -> customer)
                    .groupByKey(Grouped.with("by-customer", Serdes.String(), Serdes.String()))
                    .count(Materialized.as("orders-per-customer"))
                    .toStream()
                    .mapValues((customer, count) -> customer + "=" + count)
                    .peek((customer, value) -> {
                        Common.emit(Common.fields("key", customer, "value", value));
                        if (written.incrementAndGet() >= expect) done.countDown();
                    })
                    .to(output, Produced.with(Serdes.String(), Serdes.String()));

            try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
                streams.setUncaughtExceptionHandler(e -> {
                    failure.compareAndSet(null, e);
                    done.countDown();
                    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                });
                streams.setStateListener((now, before) -> {
                    if (now == KafkaStreams.State.ERROR) done.countDown();
                });
                streams.start();
                boolean finished = done.await(timeout, TimeUnit.SECONDS);
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
