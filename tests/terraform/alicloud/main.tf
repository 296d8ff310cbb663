# ACK node pools with the alicloud provider, pointed at a custom ACK (cs) endpoint over
# HTTP (the simulator in tests). Used by tests/terraform/run.sh and the Terraform benchmark.
terraform {
  required_providers {
    alicloud = {
      source = "aliyun/alicloud"
    }
  }
}

variable "endpoint" {
  description = "ACK (cs) endpoint as host:port, e.g. 127.0.0.1:18080"
  type        = string
}
variable "access_key" {
  type = string
}
variable "secret_key" {
  type      = string
  sensitive = true
}
variable "region" {
  type    = string
  default = "cn-hangzhou"
}
variable "cluster_ids" {
  description = "ACK clusters; pool i goes to cluster i mod len"
  type        = list(string)
}
variable "pools" {
  type    = number
  default = 1
}
variable "name_prefix" {
  type    = string
  default = "tf-pool"
}
variable "node_count" {
  type    = number
  default = 1
}
variable "team" {
  description = "Value of the pool's `team` tag (the field the update test changes with the node count)"
  type        = string
  default     = "web"
}
variable "system_disk_size" {
  description = "System disk size in GiB (the second field the update test changes)"
  type        = number
  default     = 120
}
# Pools whose node count is changed without changing the others (the change-one-pool benchmark).
variable "node_count_overrides" {
  type    = map(number)
  default = {}
}

provider "alicloud" {
  region     = var.region
  access_key = var.access_key
  secret_key = var.secret_key
  # No region lookup and no account-type probe (BssOpenApi): only the cs endpoint is served.
  skip_region_validation = true
  account_type           = "Domestic"
  protocol               = "HTTP"
  endpoints {
    cs = var.endpoint
  }
}

resource "alicloud_cs_kubernetes_node_pool" "pool" {
  count                = var.pools
  cluster_id           = var.cluster_ids[count.index % length(var.cluster_ids)]
  node_pool_name       = format("%s-%05d", var.name_prefix, count.index)
  vswitch_ids          = ["vsw-tf0000000000000001"]
  instance_types       = ["ecs.g7.xlarge"]
  instance_charge_type = "PostPaid"
  system_disk_category = "cloud_essd"
  system_disk_size     = var.system_disk_size
  key_name             = "tf-keypair"
  desired_size         = lookup(var.node_count_overrides, tostring(count.index), var.node_count)

  # Sent as scaling_group.tags [{"Key", "Value"}]; ACK answers them as [{"key", "value"}].
  tags = {
    "managed-by" = "terraform"
    team         = var.team
  }
}
