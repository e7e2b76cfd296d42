#!/usr/bin/env bash
# How the vendored CRD schemas were made (run by hand, needs the registries; CI never runs it).
# Strimzi: the CRDs are generated from the Java model classes of io.strimzi:api with Strimzi's
#   own io.strimzi:crd-generator (both from Maven Central, same version), exactly as Strimzi's
#   build makes packaging/install/cluster-operator/04x-Crd-*.yaml. Needs Java 21+ (Temurin 25 here).
# KEDA: config/crd/bases/ of the Go module github.com/kedacore/keda/v2 (proxy.golang.org).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
STRIMZI=1.2.0 KEDA=v2.21.0 JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed "s/1\.2\.0/$STRIMZI/g" "$here/strimzi/generate-pom.xml" >"$work/pom.xml"
(cd "$work" && mvn -q -B dependency:build-classpath -Dmdep.outputFile=cp.txt)
"$JAVA" -cp "$(cat "$work/cp.txt")" io.strimzi.crdgenerator.CrdGenerator \
  --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  io.strimzi.api.kafka.model.kafka.Kafka="$here/strimzi/kafka.yaml" \
  io.strimzi.api.kafka.model.topic.KafkaTopic="$here/strimzi/kafkatopic.yaml" \
  io.strimzi.api.kafka.model.user.KafkaUser="$here/strimzi/kafkauser.yaml" \
  io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$here/strimzi/kafkanodepool.yaml"
curl -sSf -o "$work/keda.zip" "https://proxy.golang.org/github.com/kedacore/keda/v2/@v/$KEDA.zip"
for f in config/crd/bases/keda.sh_scaledobjects.yaml config/crd/bases/keda.sh_triggerauthentications.yaml LICENSE; do
  unzip -o -q -j "$work/keda.zip" "github.com/kedacore/keda/v2@$KEDA/$f" -d "$here/keda/"
done
