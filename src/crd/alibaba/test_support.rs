//! Helpers shared by the tests of this module's files.

use kube::CustomResourceExt;
use serde_json::Value;

use crate::crd::NodePool;

use super::wire::VERBATIM_PATHS;

/// The seed's first request example (subscription pool), minus `ClusterId` (a path parameter).
pub(super) const SEED_PREPAID: &str = r#"{
    "nodepool_info":{
        "name":"cluster-demo",
        "resource_group_id":"rg-aek2aa7u22q****"
    },
    "scaling_group":{
        "vswitch_ids":[
            "vsw-wz9mfnhmssud6eicu****"
        ],
        "system_disk_category":"cloud_efficiency",
        "system_disk_size":120,
        "data_disks":[
            {
                "category":"cloud_ssd",
                "size":40,
                "encrypted":"false"
            }
        ],
        "instance_types":[
            "ecs.d1ne.2xlarge"
        ],
        "vpc_id":"vpc-wz984yvbd6lck22z3****",
        "tags":[
            {
                "key":"k-1",
                "value":"v-1"
            }
        ],
        "instance_charge_type":"PrePaid",
        "login_password":"****",
        "period":1,
        "period_unit":"Month",
        "auto_renew":true,
        "auto_renew_period":1,
        "security_group_id":"sg-wz9a8g2mt6x5llu0****",
        "platform":"AliyunLinux",
        "image_id":"aliyun_2_1903_x64_20G_alibase_20200529.vhd",
        "rds_instances":[

        ]
    },
    "kubernetes_config":{
        "cpu_policy":"none",
        "cms_enabled":true,
        "labels":[
            {
                "key":"k-2",
                "value":"v-2"
            }
        ],
        "taints":[
            {
                "key":"k-3",
                "value":"v-3",
                "effect":"NoSchedule"
            }
        ],
        "user_data":"MTEx",
        "runtime":"docker",
        "runtime_version":"19.03.5"
    },
    "tee_config":{
        "tee_enable":true
    }
}"#;

/// The seed's second request example (auto scaling pool), minus `ClusterId`.
pub(super) const SEED_AUTOSCALING: &str = r#"{
    "nodepool_info":{
        "name":"autoScale-demo",
        "resource_group_id":"rg-acfmyvw3wjm****"
    },
    "scaling_group":{
        "vswitch_ids":[
            "vsw-wz9mfnhmssud6eic****"
        ],
        "system_disk_category":"cloud_efficiency",
        "system_disk_size":120,
        "data_disks":[

        ],
        "instance_types":[
            "ecs.t6-c1m2.large"
        ],
        "vpc_id":"vpc-wz984yvbd6lck22z3****",
        "tags":[

        ],
        "instance_charge_type":"PostPaid",
        "login_password":"****",
        "platform":"AliyunLinux",
        "image_id":"aliyun_2_1903_x64_20G_alibase_20200529.vhd",
        "rds_instances":[

        ],
        "scaling_policy":"release"
    },
    "kubernetes_config":{
        "cpu_policy":"none",
        "cms_enabled":false,
        "labels":[
            {
                "key":"workload_type",
                "value":"cpu"
            }
        ],
        "taints":[

        ],
        "user_data":"",
        "runtime":"docker",
        "runtime_version":"19.03.5"
    },
    "tee_config":{
        "tee_enable":true
    },
    "auto_scaling":{
        "enable":true,
        "max_instances":10,
        "min_instances":1,
        "type":"cpu"
    }
}"#;

/// A wire body that sets every field of the SDK's CreateClusterNodePoolRequest (checked:
/// the SDK's own `from_map(...).to_map()` returns it unchanged, apart from dropping
/// `vpc_id`). Serde-only: it deliberately breaks CEL rules (keyPair with loginPassword,
/// count with desiredSize, ...) to touch every field.
pub(crate) const RICH: &str = r#"{
  "auto_mode": {"enable": false},
  "auto_scaling": {"enable": true, "min_instances": 1, "max_instances": 20, "type": "spot",
"is_bond_eip": false, "eip_bandwidth": 5, "eip_internet_charge_type": "PayByTraffic"},
  "count": 3,
  "eflo_node_group": {"cluster_id": "i118578141694745246bfb", "group_id": "i123229811696143596f4d",
"auto_attach_enabled": true, "worker_ram_role_name": "LingjunWorkerRole"},
  "host_network": true,
  "interconnect_config": {"bandwidth": 10, "ccn_id": "ccn-qm5i0i0q9yi1abcde", "ccn_region_id": "cn-shanghai",
"cen_id": "cen-ey9k9nfhz0f1abcde", "improved_period": "1"},
  "interconnect_mode": "private",
  "intranet": false,
  "kubernetes_config": {"cms_enabled": true, "cpu_policy": "static",
"labels": [{"key": "workload", "value": "batch"}], "node_name_mode": "customized,worker,ip,.example",
"pre_user_data": "ZWNobyBwcmU=", "runtime": "Sandboxed-Container.runv", "runtime_version": "2.2.1",
"taints": [{"key": "gpu", "value": "true", "effect": "PreferNoSchedule"}, {"key": "spot", "effect": "NoExecute"}],
"unschedulable": false, "user_data": "ZWNobyBwb3N0"},
  "management": {"enable": true, "auto_fault_diagnosis": true, "auto_repair": true,
"auto_repair_policy": {"approval_required": false, "max_parallel_repairing_nodes": "10%",
  "max_unhealthy_nodes_threshold": "5", "restart_node": true},
"auto_upgrade": true,
"auto_upgrade_policy": {"auto_upgrade_kubelet": true, "auto_upgrade_os": false, "auto_upgrade_runtime": true},
"auto_vul_fix": true,
"auto_vul_fix_policy": {"exclude_packages": "kernel,containerd", "restart_node": false, "vul_level": "asap,later,nntf"},
"drift_enabled": false,
"upgrade_config": {"auto_upgrade": true, "max_unavailable": 2, "surge": 1, "surge_percentage": 50}},
  "max_nodes": 50,
  "node_components": [{"name": "kubelet", "version": "1.33.3-aliyun.1",
"config": {"custom_config": {"cpuManagerPolicy": "static", "some_snake_key": {"nestedCamel": [1, "two"]}},
  "envs": [{"name": "HTTP_PROXY", "value": "http://proxy.internal:3128"}]}}],
  "node_config": {
"kubelet_configuration": {
  "allowedUnsafeSysctls": ["net.core.somaxconn", "kernel.msg*"],
  "clusterDNS": ["192.168.0.10"],
  "containerLogMaxFiles": 5, "containerLogMaxSize": "20Mi", "containerLogMaxWorkers": 2,
  "containerLogMonitorInterval": "10s", "cpuCFSQuota": true, "cpuCFSQuotaPeriod": "100ms",
  "cpuManagerPolicy": "static", "eventBurst": 50, "eventRecordQPS": 25,
  "evictionHard": {"memory.available": "100Mi", "nodefs.available": "10%"},
  "evictionSoft": {"memory.available": "300Mi"},
  "evictionSoftGracePeriod": {"memory.available": "30s"},
  "featureGates": {"RotateKubeletServerCertificate": true, "InPlacePodVerticalScaling": false},
  "imageGCHighThresholdPercent": 85, "imageGCLowThresholdPercent": 80,
  "kubeAPIBurst": 100, "kubeAPIQPS": 50,
  "kubeReserved": {"cpu": "200m", "memory": "1Gi"},
  "maxPods": 110, "memoryManagerPolicy": "Static", "podPidsLimit": 4096, "readOnlyPort": 0,
  "registryBurst": 20, "registryPullQPS": 10,
  "reservedMemory": [{"numaNode": 0, "limits": {"memory": "1124Mi"}}],
  "serializeImagePulls": false, "serverTLSBootstrap": true,
  "systemReserved": {"cpu": "100m", "memory": "500Mi"},
  "topologyManagerPolicy": "single-numa-node",
  "tracing": {"endpoint": "localhost:4317", "samplingRatePerMillion": 100}},
"node_os_config": {
  "hugepage": {"khugepagedAllocSleepMillisecs": 60000, "khugepagedDefrag": 1, "khugepagedPagesToScan": 4096,
    "khugepagedScanSleepMillisecs": 10000, "transparentDefrag": "defer+madvise", "transparentEnabled": "madvise"},
  "sysctl": {"vm.max_map_count": 262144, "net.ipv4.tcp_keepalive_time": "600", "fs.aio-max-nr": 1048576}}},
  "nodepool_info": {"name": "rich-pool", "resource_group_id": "rg-acfmyvw3wjmb1ab", "type": "ess"},
  "scaling_group": {
"auto_renew": true, "auto_renew_period": 2, "cis_enabled": false, "compensate_with_on_demand": true,
"cpu_options": {"nested_virtualization": "enabled"},
"data_disks": [
  {"auto_format": true, "auto_snapshot_policy_id": "sp-bp1a2b3c4d5e6f7g8h", "bursting_enabled": true,
   "category": "cloud_auto", "device": "/dev/xvdb", "disk_name": "data1", "encrypted": "true",
   "file_system": "xfs", "kms_key_id": "0e478b7a-4262-4802-b8cb-00d3fb40826e", "mount_target": "/mnt/data1",
   "performance_level": "PL1", "provisioned_iops": 1000, "size": 500, "snapshot_id": "s-bp1a2b3c4d5e6f7g8h"},
  {"category": "elastic_ephemeral_disk_standard", "size": 64, "encrypted": "false"}],
"deploymentset_id": "ds-bp1a2b3c4d5e6f7g8h9i", "desired_size": 4,
"disk_init": [{"disk_name": "data1", "local_disk": false, "mkfs_type": "ext4", "mount_for_runtime": true,
  "mount_target": "/var/lib/containerd"}],
"enable_high_density_mode": false,
"image_id": "aliyun_3_x64_20G_alibase_20240528.vhd", "image_type": "AliyunLinux3",
"instance_charge_type": "PrePaid",
"instance_metadata_options": {"http_tokens": "required"},
"instance_patterns": [{"architectures": ["X86"], "burst_performance_option": "Exclude", "core": 8, "cores": 8,
  "cpu_architectures": ["X86", "ARM"], "excluded_instance_types": ["ecs.t5*"],
  "instance_categories": ["General-purpose"], "instance_family_level": "EnterpriseLevel",
  "instance_type_families": ["ecs.g7", "ecs.g8i"], "max_cpu_cores": 16, "max_memory_size": 64.0,
  "max_price": 1.25, "maximum_gpu_amount": 0, "memory": 32.5, "min_cpu_cores": 4, "min_memory_size": 8.0,
  "minimum_eni_ipv6_address_quantity": 1, "minimum_eni_private_ip_address_quantity": 10,
  "minimum_eni_quantity": 2}],
"instance_types": ["ecs.g7.2xlarge", "ecs.g8i.2xlarge"],
"internet_charge_type": "PayByBandwidth", "internet_max_bandwidth_out": 10,
"key_pair": "ops-keypair", "login_as_non_root": true, "login_password": "Sample#Passw0rd",
"multi_az_policy": "COST_OPTIMIZED",
"on_demand_base_capacity": 1, "on_demand_percentage_above_base_capacity": 30,
"period": 6, "period_unit": "Month", "platform": "AliyunLinux",
"private_pool_options": {"id": "eap-bp1a2b3c4d5e6f7g8h", "match_criteria": "Target"},
"ram_role_name": "CustomWorkerRole",
"rds_instances": ["rm-bp1a2b3c4d5e6f7g8h"],
"resource_pool_options": {"private_pool_ids": ["crp-bp1a2b3c4d5e6f7g8h"], "strategy": "PrivatePoolFirst"},
"scaling_policy": "recycle",
"security_group_id": "sg-bp1a2b3c4d5e6f7g8h9i", "security_group_ids": ["sg-bp1a2b3c4d5e6f7g8h9i", "sg-bp1j2k3l4m5n6o7p8q9r"],
"security_hardening_os": true, "soc_enabled": false,
"spot_instance_pools": 3, "spot_instance_remedy": true,
"spot_price_limit": [{"instance_type": "ecs.g7.2xlarge", "price_limit": "0.39"}],
"spot_strategy": "SpotWithPriceLimit",
"system_disk_bursting_enabled": false,
"system_disk_categories": ["cloud_essd", "cloud_auto", "cloud_essd_entry"],
"system_disk_category": "cloud_essd", "system_disk_encrypt_algorithm": "aes-256", "system_disk_encrypted": true,
"system_disk_kms_key_id": "0e478b7a-4262-4802-b8cb-00d3fb40826e", "system_disk_performance_level": "PL2",
"system_disk_provisioned_iops": 0, "system_disk_size": 120, "system_disk_snapshot_policy_id": "sp-bp1a2b3c4d5e6f7g8h",
"tags": [{"key": "team", "value": "platform"}],
"vpc_id": "vpc-bp1a2b3c4d5e6f7g8h9i",
"vswitch_ids": ["vsw-bp1a2b3c4d5e6f7g8h9i", "vsw-bp1j2k3l4m5n6o7p8q9r"]},
  "tee_config": {"tee_enable": false}
}"#;

/// Every JSON path of CreateClusterNodePoolRequest as SDK 7.2.3's `to_map()` names it
/// (`[]` marks a list; names below VERBATIM_PATHS keep their wire spelling).
pub(super) const SDK_WIRE_PATHS: &[&str] = &[
    "auto_mode",
    "auto_mode.enable",
    "auto_scaling",
    "auto_scaling.eip_bandwidth",
    "auto_scaling.eip_internet_charge_type",
    "auto_scaling.enable",
    "auto_scaling.is_bond_eip",
    "auto_scaling.max_instances",
    "auto_scaling.min_instances",
    "auto_scaling.type",
    "count",
    "eflo_node_group",
    "eflo_node_group.auto_attach_enabled",
    "eflo_node_group.cluster_id",
    "eflo_node_group.group_id",
    "eflo_node_group.worker_ram_role_name",
    "host_network",
    "interconnect_config",
    "interconnect_config.bandwidth",
    "interconnect_config.ccn_id",
    "interconnect_config.ccn_region_id",
    "interconnect_config.cen_id",
    "interconnect_config.improved_period",
    "interconnect_mode",
    "intranet",
    "kubernetes_config",
    "kubernetes_config.cms_enabled",
    "kubernetes_config.cpu_policy",
    "kubernetes_config.labels[]",
    "kubernetes_config.labels[].key",
    "kubernetes_config.labels[].value",
    "kubernetes_config.node_name_mode",
    "kubernetes_config.pre_user_data",
    "kubernetes_config.runtime",
    "kubernetes_config.runtime_version",
    "kubernetes_config.taints[]",
    "kubernetes_config.taints[].effect",
    "kubernetes_config.taints[].key",
    "kubernetes_config.taints[].value",
    "kubernetes_config.unschedulable",
    "kubernetes_config.user_data",
    "management",
    "management.auto_fault_diagnosis",
    "management.auto_repair",
    "management.auto_repair_policy",
    "management.auto_repair_policy.approval_required",
    "management.auto_repair_policy.max_parallel_repairing_nodes",
    "management.auto_repair_policy.max_unhealthy_nodes_threshold",
    "management.auto_repair_policy.restart_node",
    "management.auto_upgrade",
    "management.auto_upgrade_policy",
    "management.auto_upgrade_policy.auto_upgrade_kubelet",
    "management.auto_upgrade_policy.auto_upgrade_os",
    "management.auto_upgrade_policy.auto_upgrade_runtime",
    "management.auto_vul_fix",
    "management.auto_vul_fix_policy",
    "management.auto_vul_fix_policy.exclude_packages",
    "management.auto_vul_fix_policy.restart_node",
    "management.auto_vul_fix_policy.vul_level",
    "management.drift_enabled",
    "management.enable",
    "management.upgrade_config",
    "management.upgrade_config.auto_upgrade",
    "management.upgrade_config.max_unavailable",
    "management.upgrade_config.surge",
    "management.upgrade_config.surge_percentage",
    "max_nodes",
    "node_components[]",
    "node_components[].config",
    "node_components[].config.custom_config",
    "node_components[].config.envs[]",
    "node_components[].config.envs[].name",
    "node_components[].config.envs[].value",
    "node_components[].name",
    "node_components[].version",
    "node_config",
    "node_config.kubelet_configuration",
    "node_config.kubelet_configuration.allowedUnsafeSysctls[]",
    "node_config.kubelet_configuration.clusterDNS[]",
    "node_config.kubelet_configuration.containerLogMaxFiles",
    "node_config.kubelet_configuration.containerLogMaxSize",
    "node_config.kubelet_configuration.containerLogMaxWorkers",
    "node_config.kubelet_configuration.containerLogMonitorInterval",
    "node_config.kubelet_configuration.cpuCFSQuota",
    "node_config.kubelet_configuration.cpuCFSQuotaPeriod",
    "node_config.kubelet_configuration.cpuManagerPolicy",
    "node_config.kubelet_configuration.eventBurst",
    "node_config.kubelet_configuration.eventRecordQPS",
    "node_config.kubelet_configuration.evictionHard",
    "node_config.kubelet_configuration.evictionSoft",
    "node_config.kubelet_configuration.evictionSoftGracePeriod",
    "node_config.kubelet_configuration.featureGates",
    "node_config.kubelet_configuration.imageGCHighThresholdPercent",
    "node_config.kubelet_configuration.imageGCLowThresholdPercent",
    "node_config.kubelet_configuration.kubeAPIBurst",
    "node_config.kubelet_configuration.kubeAPIQPS",
    "node_config.kubelet_configuration.kubeReserved",
    "node_config.kubelet_configuration.maxPods",
    "node_config.kubelet_configuration.memoryManagerPolicy",
    "node_config.kubelet_configuration.podPidsLimit",
    "node_config.kubelet_configuration.readOnlyPort",
    "node_config.kubelet_configuration.registryBurst",
    "node_config.kubelet_configuration.registryPullQPS",
    "node_config.kubelet_configuration.reservedMemory[]",
    "node_config.kubelet_configuration.reservedMemory[].limits",
    "node_config.kubelet_configuration.reservedMemory[].numaNode",
    "node_config.kubelet_configuration.serializeImagePulls",
    "node_config.kubelet_configuration.serverTLSBootstrap",
    "node_config.kubelet_configuration.systemReserved",
    "node_config.kubelet_configuration.topologyManagerPolicy",
    "node_config.kubelet_configuration.tracing",
    "node_config.kubelet_configuration.tracing.endpoint",
    "node_config.kubelet_configuration.tracing.samplingRatePerMillion",
    "node_config.node_os_config",
    "node_config.node_os_config.hugepage",
    "node_config.node_os_config.hugepage.khugepagedAllocSleepMillisecs",
    "node_config.node_os_config.hugepage.khugepagedDefrag",
    "node_config.node_os_config.hugepage.khugepagedPagesToScan",
    "node_config.node_os_config.hugepage.khugepagedScanSleepMillisecs",
    "node_config.node_os_config.hugepage.transparentDefrag",
    "node_config.node_os_config.hugepage.transparentEnabled",
    "node_config.node_os_config.sysctl",
    "nodepool_info",
    "nodepool_info.name",
    "nodepool_info.resource_group_id",
    "nodepool_info.type",
    "scaling_group",
    "scaling_group.auto_renew",
    "scaling_group.auto_renew_period",
    "scaling_group.cis_enabled",
    "scaling_group.compensate_with_on_demand",
    "scaling_group.cpu_options",
    "scaling_group.cpu_options.nested_virtualization",
    "scaling_group.data_disks[]",
    "scaling_group.data_disks[].auto_format",
    "scaling_group.data_disks[].auto_snapshot_policy_id",
    "scaling_group.data_disks[].bursting_enabled",
    "scaling_group.data_disks[].category",
    "scaling_group.data_disks[].device",
    "scaling_group.data_disks[].disk_name",
    "scaling_group.data_disks[].encrypted",
    "scaling_group.data_disks[].file_system",
    "scaling_group.data_disks[].kms_key_id",
    "scaling_group.data_disks[].mount_target",
    "scaling_group.data_disks[].performance_level",
    "scaling_group.data_disks[].provisioned_iops",
    "scaling_group.data_disks[].size",
    "scaling_group.data_disks[].snapshot_id",
    "scaling_group.deploymentset_id",
    "scaling_group.desired_size",
    "scaling_group.disk_init[]",
    "scaling_group.disk_init[].disk_name",
    "scaling_group.disk_init[].local_disk",
    "scaling_group.disk_init[].mkfs_type",
    "scaling_group.disk_init[].mount_for_runtime",
    "scaling_group.disk_init[].mount_target",
    "scaling_group.enable_high_density_mode",
    "scaling_group.image_id",
    "scaling_group.image_type",
    "scaling_group.instance_charge_type",
    "scaling_group.instance_metadata_options",
    "scaling_group.instance_metadata_options.http_tokens",
    "scaling_group.instance_patterns[]",
    "scaling_group.instance_patterns[].architectures[]",
    "scaling_group.instance_patterns[].burst_performance_option",
    "scaling_group.instance_patterns[].core",
    "scaling_group.instance_patterns[].cores",
    "scaling_group.instance_patterns[].cpu_architectures[]",
    "scaling_group.instance_patterns[].excluded_instance_types[]",
    "scaling_group.instance_patterns[].instance_categories[]",
    "scaling_group.instance_patterns[].instance_family_level",
    "scaling_group.instance_patterns[].instance_type_families[]",
    "scaling_group.instance_patterns[].max_cpu_cores",
    "scaling_group.instance_patterns[].max_memory_size",
    "scaling_group.instance_patterns[].max_price",
    "scaling_group.instance_patterns[].maximum_gpu_amount",
    "scaling_group.instance_patterns[].memory",
    "scaling_group.instance_patterns[].min_cpu_cores",
    "scaling_group.instance_patterns[].min_memory_size",
    "scaling_group.instance_patterns[].minimum_eni_ipv6_address_quantity",
    "scaling_group.instance_patterns[].minimum_eni_private_ip_address_quantity",
    "scaling_group.instance_patterns[].minimum_eni_quantity",
    "scaling_group.instance_types[]",
    "scaling_group.internet_charge_type",
    "scaling_group.internet_max_bandwidth_out",
    "scaling_group.key_pair",
    "scaling_group.login_as_non_root",
    "scaling_group.login_password",
    "scaling_group.multi_az_policy",
    "scaling_group.on_demand_base_capacity",
    "scaling_group.on_demand_percentage_above_base_capacity",
    "scaling_group.period",
    "scaling_group.period_unit",
    "scaling_group.platform",
    "scaling_group.private_pool_options",
    "scaling_group.private_pool_options.id",
    "scaling_group.private_pool_options.match_criteria",
    "scaling_group.ram_role_name",
    "scaling_group.rds_instances[]",
    "scaling_group.resource_pool_options",
    "scaling_group.resource_pool_options.private_pool_ids[]",
    "scaling_group.resource_pool_options.strategy",
    "scaling_group.scaling_policy",
    "scaling_group.security_group_id",
    "scaling_group.security_group_ids[]",
    "scaling_group.security_hardening_os",
    "scaling_group.soc_enabled",
    "scaling_group.spot_instance_pools",
    "scaling_group.spot_instance_remedy",
    "scaling_group.spot_price_limit[]",
    "scaling_group.spot_price_limit[].instance_type",
    "scaling_group.spot_price_limit[].price_limit",
    "scaling_group.spot_strategy",
    "scaling_group.system_disk_bursting_enabled",
    "scaling_group.system_disk_categories[]",
    "scaling_group.system_disk_category",
    "scaling_group.system_disk_encrypt_algorithm",
    "scaling_group.system_disk_encrypted",
    "scaling_group.system_disk_kms_key_id",
    "scaling_group.system_disk_performance_level",
    "scaling_group.system_disk_provisioned_iops",
    "scaling_group.system_disk_size",
    "scaling_group.system_disk_snapshot_policy_id",
    "scaling_group.tags[]",
    "scaling_group.tags[].key",
    "scaling_group.tags[].value",
    "scaling_group.vswitch_ids[]",
    "tee_config",
    "tee_config.tee_enable",
];

/// Wire paths in the spec that the SDK does not model: `vpc_id` is in the API reference
/// and both of its request examples.
pub(super) const EXTRA_WIRE_PATHS: &[&str] = &["scaling_group.vpc_id"];

pub(crate) fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("test JSON parses")
}

pub(super) fn alibaba_schema() -> Value {
    let crd = serde_json::to_value(NodePool::crd()).expect("CRD serializes");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        ["alibaba"]
        .clone()
}

pub(super) fn under_verbatim(camel_path: &[String]) -> bool {
    VERBATIM_PATHS.iter().any(|verbatim| {
        camel_path.len() > verbatim.len() && verbatim.iter().zip(camel_path).all(|(a, b)| a == b)
    })
}
