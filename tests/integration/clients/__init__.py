"""Real clients for the integration suite: the Java programs of `java/` (built once per
session by `jvm.JavaClients`) and confluent-kafka loading generated librdkafka files
(`librdkafka`). Each loads a config file meshctl generated as it is."""
