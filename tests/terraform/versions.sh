# Provider versions the Terraform harness builds and tests. Sourced, not run.
# shellcheck shell=bash
HUAWEICLOUD_MODULE=github.com/huaweicloud/terraform-provider-huaweicloud
HUAWEICLOUD_VERSION=v1.73.0
ALICLOUD_MODULE=github.com/aliyun/terraform-provider-alicloud
ALICLOUD_VERSION=v1.240.0
