# The ACME data mesh: how to reach the cluster, and the settings shared by every domain.
#
# Connection settings come from the environment in the sandbox (`make demo` sources
# .sandbox/env, which sets MESHCTL_KAFKA_*); secrets never live in these files.

variable "bootstrap_servers" {
  description = "Kafka bootstrap servers; MESHCTL_KAFKA_BOOTSTRAP_SERVERS overrides it"
  default     = "127.0.0.1:19092"
}

variable "kafka_password" {
  description = "Password of meshctl's admin principal"
  type        = string
  sensitive   = true
  default     = ""
}

variable "replication_factor" {
  description = "Replicas per partition: 1 in the single-broker sandbox, 3 in production"
  type        = number
  default     = 1
}

locals {
  one_day_ms = 24 * 60 * 60 * 1000
  retention  = {
    short = format("%d", 3 * local.one_day_ms)
    long  = format("%d", 14 * local.one_day_ms)
  }
}

variable "registry_url" {
  description = "Schema registry (Confluent REST API); MESHCTL_REGISTRY_URL overrides it"
  default     = "http://127.0.0.1:18081/apis/ccompat/v7"
}

schema_registry {
  url = var.registry_url
}

kafka {
  bootstrap_servers = var.bootstrap_servers
  security_protocol = "SASL_PLAINTEXT"
  sasl_mechanism    = "SCRAM-SHA-512"
  sasl_username     = "admin"
  sasl_password     = var.kafka_password
}
