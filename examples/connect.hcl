# The Kafka Connect worker the mesh's connectors run on. `make demo` points meshctl at the
# sandbox's worker instead (MESHCTL_CONNECT_URL and MESHCTL_CONNECT_CREDENTIALS_DIR in .sandbox/env).
kafka_connect {
  url             = "http://127.0.0.1:18083"
  # On the worker: a secrets mount holding <principal>.properties (sasl.mechanism, sasl.password)
  # for its FileConfigProvider, fed from the principal's secret meshctl keeps.
  credentials_dir = "/etc/kafka-connect/credentials"
}

# The orders, archived to a file on the worker by Apache Kafka's FileStreamSink: meshctl
# deploys the connector, which reads as the integration's own principal.
integration "archive" {
  domain = "analytics"
  vendor = "kafka-connect"
  source = "file-sink"
  reads  = ["sales.orders"]
  inputs = {
    file            = "analytics-archive.txt"
    worker_role_arn = "arn:aws:iam::${var.aws_account_id}:role/connect-workers"
  }
}
