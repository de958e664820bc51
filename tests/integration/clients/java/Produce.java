import java.time.Duration;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code Produce CONFIG TOPIC COUNT [--tag T] [--values a,b,..] [--set k=v]}: sends COUNT records
 * (keys k0.., values T0.. or the --values cycled). With a transactional.id in the config it
 * commits one transaction of COUNT records (values prefixed "committed-") and aborts a second
 * ("aborted-"). One JSON line per acknowledged record, then a summary line.
 */
public final class Produce {
    public static void main(String[] argv) {
        System.exit(run(new Common.Args(argv)));
    }

    static int run(Common.Args args) {
        int count = Integer.parseInt(args.get(2));
        String topic = args.get(1);
        String tag = args.option("tag", "");
        String[] values = args.options.containsKey("values") ? args.option("values", "").split(",") : null;
        try {
            Properties props = Common.load(args.get(0), args.overrides);
            boolean transactional = props.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                if (!transactional) {
                    send(producer, topic, count, tag, values, "none");
                    Common.emit(Common.fields("sent", count));
                    return 0;
                }
                producer.initTransactions();
                producer.beginTransaction();
                send(producer, topic, count, tag + "committed-", values, "committed");
                producer.commitTransaction();
                producer.beginTransaction();
                send(producer, topic, count, tag + "aborted-", values, "aborted");
                producer.abortTransaction();
                Common.emit(Common.fields("committed", count, "aborted", count));
                producer.close(Duration.ofSeconds(10));
                return 0;
            }
        } catch (Exception e) {
            return Common.fail(e);
        }
    }

    private static void send(KafkaProducer<String, String> producer, String topic, int count, String tag,
            String[] values, String txn) throws Exception {
        for (int i = 0; i < count; i++) {
            String key = "k" + i;
            String value = values != null ? values[i % values.length] : tag + i;
            // Synchronous: the first refusal surfaces here, with the broker's error.
            RecordMetadata md = producer.send(new ProducerRecord<>(topic, key, value)).get();
            Common.emit(Common.fields("key", key, "value", value, "partition", md.partition(),
                    "offset", md.offset(), "txn", txn));
        }
    }
}
