"""Creates a node pool through a cloud's official SDK, as another tool (the console, Terraform, a
script) would: no owner mark. Prints the new pool's ID.

Usage: foreign_pool.py URL huawei|alibaba NAME COUNT
Env: CLOUDSIM_HW_AK, CLOUDSIM_HW_SK, CLOUDSIM_HW_PROJECT, CLOUDSIM_HW_CLUSTER (huawei);
CLOUDSIM_ALI_AK, CLOUDSIM_ALI_SK, CLOUDSIM_ALI_CLUSTER (alibaba).
"""

import os
import sys
import urllib.parse

URL, CLOUD, NAME, COUNT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], int(sys.argv[4])


def huawei():
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcce.v3 import (CceClient, CreateNodePoolRequest, Login, NodePool,
                                      NodePoolMetadata, NodePoolSpec, NodeTemplate, Volume)

    cfg = HttpConfig.get_default_config()
    cfg.retry_times = 0
    c = (CceClient.new_builder().with_http_config(cfg)
         .with_credentials(BasicCredentials(os.environ["CLOUDSIM_HW_AK"], os.environ["CLOUDSIM_HW_SK"],
                                            os.environ["CLOUDSIM_HW_PROJECT"]))
         .with_endpoints([URL]).build())
    body = NodePool(kind="NodePool", api_version="v3", metadata=NodePoolMetadata(name=NAME),
                    spec=NodePoolSpec(initial_node_count=COUNT, node_template=NodeTemplate(
                        flavor="s6.large.2", az="cn-north-4a", os="EulerOS 2.9",
                        login=Login(ssh_key="console-keypair"),
                        root_volume=Volume(size=40, volumetype="SAS"))))
    created = c.create_node_pool(CreateNodePoolRequest(cluster_id=os.environ["CLOUDSIM_HW_CLUSTER"], body=body))
    return created.metadata.uid


def alibaba():
    from alibabacloud_cs20151215 import models as m
    from alibabacloud_cs20151215.client import Client
    from alibabacloud_tea_openapi import utils_models as om
    from darabonba.runtime import RuntimeOptions

    parsed = urllib.parse.urlparse(URL)
    c = Client(om.Config(access_key_id=os.environ["CLOUDSIM_ALI_AK"],
                         access_key_secret=os.environ["CLOUDSIM_ALI_SK"], region_id="cn-hangzhou",
                         endpoint=parsed.netloc, protocol=parsed.scheme))
    req = m.CreateClusterNodePoolRequest(
        nodepool_info=m.CreateClusterNodePoolRequestNodepoolInfo(name=NAME),
        scaling_group=m.CreateClusterNodePoolRequestScalingGroup(
            desired_size=COUNT, instance_types=["ecs.g7.xlarge"], vswitch_ids=["vsw-console-1"],
            instance_charge_type="PostPaid", system_disk_category="cloud_essd", system_disk_size=120),
        kubernetes_config=m.CreateClusterNodePoolRequestKubernetesConfig(runtime="containerd"))
    created = c.create_cluster_node_pool_with_options(os.environ["CLOUDSIM_ALI_CLUSTER"], req, {},
                                                      RuntimeOptions(autoretry=False))
    return created.body.nodepool_id


print({"huawei": huawei, "alibaba": alibaba}[CLOUD]())
