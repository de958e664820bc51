# Two environments of the one mesh: every command names one (`-e dev`, `-e prod`, or
# MESHCTL_ENVIRONMENT); `meshctl validate` checks both. Each has its own state
# (.meshctl/env/<name>/ by default, or its own backend block), its own cluster, registry
# and AWS account, and may differ where environments really differ, within the domains'
# policies. `meshctl plan -e prod --from dev` shows what promoting dev's definitions to
# prod would change.
#
# In the sandbox (`make demo`): dev is the first broker and moto server (.sandbox/env),
# prod the second ones (`python -m meshctl_sandbox up --second-broker`, .sandbox/env-b).
# Both share the sandbox's one schema registry; a real prod has its own.

environment "dev" {
  description = "Development: the top-level connection blocks (main.hcl), small topics"
}

environment "prod" {
  description = "Production: its own cluster, more partitions for the busiest product"

  variables = {
    orders_partitions = 12
  }

  # Replaces the top-level kafka block for prod. The sandbox's .sandbox/env-b points
  # MESHCTL_KAFKA_* at the same broker; one left pointing at dev's broker is refused.
  kafka {
    bootstrap_servers = var.prod_bootstrap_servers
    security_protocol = "SASL_PLAINTEXT"
    sasl_mechanism    = "SCRAM-SHA-512"
    sasl_username     = "admin"
    sasl_password     = var.kafka_password
  }

  # A real prod keeps its state remotely, e.g.:
  #   backend "s3" {
  #     bucket         = "acme-meshctl-state"
  #     key            = "mesh/prod.json"
  #     dynamodb_table = "acme-meshctl-locks"
  #   }
}

variable "prod_bootstrap_servers" {
  description = "prod's Kafka: the sandbox's second broker"
  default     = "127.0.0.1:19094"
}

variable "orders_partitions" {
  description = "Partitions of sales.orders v2, the busiest product"
  type        = number
  default     = 6
}
