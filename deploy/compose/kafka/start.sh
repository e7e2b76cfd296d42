#!/bin/sh
# One node of the compose Kafka cluster (apache/kafka image): combined broker + controller,
# KRaft with a static quorum of three. As the local launcher's cluster (fourx_local.kafka):
# the client listener takes SASL/SCRAM-SHA-512, the controller listener SASL/PLAIN as the
# admin, the standard authorizer denies what no ACL allows, and every principal's SCRAM
# credential is written at format time (KIP-900), so no client ever connects unauthenticated.
# Env: NODE_ID, CLUSTER_ID, FOURX_KAFKA_<PRINCIPAL>_PASSWORD for admin, meetings, issues, notify, ops, portal.
set -eu
: "${NODE_ID:?}" "${CLUSTER_ID:?}"
admin="${FOURX_KAFKA_ADMIN_PASSWORD:?}"
conf=/tmp/server.properties
cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=${NODE_ID}
controller.quorum.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
listeners=BROKER://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093
advertised.listeners=BROKER://kafka-${NODE_ID}:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=BROKER
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,BROKER:SASL_PLAINTEXT
listener.name.broker.sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${admin}";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${admin}" user_admin="${admin}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
log.dirs=/var/lib/kafka/data
num.partitions=6
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
PROPS
scram() { echo "SCRAM-SHA-512=[name=$1,password=$2]"; }
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$conf" \
  --add-scram "$(scram admin "$admin")" \
  --add-scram "$(scram meetings "${FOURX_KAFKA_MEETINGS_PASSWORD:?}")" \
  --add-scram "$(scram issues "${FOURX_KAFKA_ISSUES_PASSWORD:?}")" \
  --add-scram "$(scram notify "${FOURX_KAFKA_NOTIFY_PASSWORD:?}")" \
  --add-scram "$(scram ops "${FOURX_KAFKA_OPS_PASSWORD:?}")" \
  --add-scram "$(scram portal "${FOURX_KAFKA_PORTAL_PASSWORD:?}")"
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";\n' "$admin" >/tmp/admin.properties
exec /opt/kafka/bin/kafka-server-start.sh "$conf"
