import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code Consume CONFIG TOPIC [--expect N] [--timeout S] [--set k=v]}: joins the config's group,
 * reads from the committed offsets (or the start) until it has at least N records and has caught
 * up with the end of every assigned partition (with read_committed: the last stable offset),
 * committing as it goes. One JSON line per record; exit 3 if that does not happen in S seconds.
 */
public final class Consume {
    public static void main(String[] argv) {
        System.exit(run(new Common.Args(argv)));
    }

    static int run(Common.Args args) {
        String topic = args.get(1);
        int expect = Integer.parseInt(args.option("expect", "0"));
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.parseLong(args.option("timeout", "60"))).toNanos();
        int seen = 0;
        try {
            Properties props = Common.load(args.get(0), args.overrides);
            try (KafkaConsumer<String, String> consumer =
                    new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                while (System.nanoTime() < deadline) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                    for (ConsumerRecord<String, String> r : records) {
                        Common.emit(Common.fields("topic", r.topic(), "partition", r.partition(), "offset", r.offset(),
                                "key", r.key(), "value", r.value()));
                        seen++;
                    }
                    if (!records.isEmpty()) consumer.commitSync();
                    if (seen >= expect && caughtUp(consumer)) {
                        Common.emit(Common.fields("consumed", seen));
                        return 0;
                    }
                }
                return Common.timeout("consumed " + seen + " of " + expect + " records from " + topic);
            }
        } catch (Exception e) {
            return Common.fail(e);
        }
    }

    private static boolean caughtUp(KafkaConsumer<String, String> consumer) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) return false;
        for (Map.Entry<TopicPartition, Long> end : consumer.endOffsets(assigned).entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) return false;
        }
        return true;
    }
}
