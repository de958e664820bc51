# A Kafka Connect FileStreamSink (Apache Kafka's connect-file) for one integration, DEPLOYED by
# meshctl on the mesh's Kafka Connect worker (the kafka_connect block): it reads the topics the
# integration is granted, as the integration's own principal and in a group under its prefix,
# and appends each record's value to a file on the worker. Its password never enters the
# connector's configuration: meshctl references it through the worker's config provider.

variable "integration" {
  description = "Given by meshctl: the integration, its domain and what it reads"
}

variable "file" {
  type        = string
  description = "the file on the worker the records are appended to (relative: to the worker's folder)"
}

variable "tasks" {
  type    = number
  default = 1
}

variable "paused" {
  type        = bool
  default     = false
  description = "deploy it paused (or pause it): it keeps its place and reads on when resumed"
}

resource "kafka_connector" "sink" {
  name      = "${var.integration.domain.path}.${var.integration.name}"
  domain    = var.integration.domain.name
  principal = var.integration.principal
  state     = var.paused ? "paused" : "running"
  config    = {
    "connector.class"                     = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    "tasks.max"                           = tostring(var.tasks)
    "topics"                              = join(",", var.integration.reads)
    "file"                                = var.file
    # The integration's principal may join only groups under its prefix.
    "consumer.override.group.id"          = "${var.integration.group_prefix}sink"
    "consumer.override.auto.offset.reset" = "earliest"
    "consumer.override.isolation.level"   = "read_committed"
  }
}

variable "worker_role_arn" {
  type        = string
  default     = ""
  description = "on AWS: the Connect workers' IAM role, the only one that may read the principal's secret"
}

# On AWS the integration principal's password lives in Secrets Manager (meshctl writes it); the
# workers' secrets mount reads it from there, and only the workers' role may.
resource "aws_secretsmanager_secret" "kafka" {
  for_each    = mesh.aws.account_id != "" ? ["kafka"] : []
  name        = var.integration.kafka_secret
  domain      = var.integration.domain.name
  description = "Kafka credentials of ${var.integration.principal}, managed by meshctl"
  tags        = { "meshctl:domain" = var.integration.domain.path, "meshctl:vendor" = var.integration.vendor }
  policy      = {
    Version   = "2012-10-17"
    Statement = [{
        Sid       = "OnlyTheConnectWorkers"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = [var.worker_role_arn] } }
    }]
  }
}
