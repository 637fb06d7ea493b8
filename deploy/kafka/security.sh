#!/bin/bash
# Starts the broker (the image's own entrypoint) and, once it answers, gives each service its SASL/SCRAM principal
# and the ACLs of its place in the event flow: it writes its own topic only and reads only what it consumes. Runs
# at every start (idempotent). The provisioning goes through a listener bound to 127.0.0.1 inside this container
# (its anonymous principal is the only super user), so nothing outside the container can use it.
set -euo pipefail
BIN=/opt/kafka/bin
LOCAL=127.0.0.1:9095
rm -f /tmp/provisioned

/etc/kafka/docker/run &
broker=$!
trap 'kill -TERM $broker; wait $broker' TERM INT

until "$BIN/kafka-broker-api-versions.sh" --bootstrap-server "$LOCAL" >/dev/null 2>&1; do
  kill -0 "$broker" || exit 1
  sleep 2
done

# The topics, made here with the services' partition count and retention (events are kept for ever: reports
# rebuilds its read models from them), so no service needs the right to create one.
for topic in keyproject.registry keyproject.milestones keyproject.alerts \
             keyproject.registry.dlq keyproject.milestones.dlq keyproject.alerts.dlq; do
  "$BIN/kafka-topics.sh" --bootstrap-server "$LOCAL" --create --if-not-exists --topic "$topic" \
    --partitions "${KAFKA_NUM_PARTITIONS:-6}" --replication-factor 1 --config retention.ms=-1 >/dev/null
done

for service in registry milestones alerts reports; do
  variable="KAFKA_PASSWORD_${service^^}"
  "$BIN/kafka-configs.sh" --bootstrap-server "$LOCAL" --alter --entity-type users --entity-name "$service" \
    --add-config "SCRAM-SHA-512=[password=${!variable}]" >/dev/null
done

# principal operations resource-type resource (tests/deploy/test_compose.py checks this table against the code:
# each topic's producer, each service's consumed topics and consumer group)
ACLS="
registry   Write,Describe  topic  keyproject.registry
milestones Write,Describe  topic  keyproject.milestones
milestones Read,Describe   topic  keyproject.registry
milestones Write,Describe  topic  keyproject.registry.dlq
milestones Read,Describe   group  keyproject.milestones
alerts     Write,Describe  topic  keyproject.alerts
alerts     Read,Describe   topic  keyproject.registry
alerts     Read,Describe   topic  keyproject.milestones
alerts     Write,Describe  topic  keyproject.registry.dlq
alerts     Write,Describe  topic  keyproject.milestones.dlq
alerts     Read,Describe   group  keyproject.alerts
reports    Read,Describe   topic  keyproject.registry
reports    Read,Describe   topic  keyproject.milestones
reports    Read,Describe   topic  keyproject.alerts
reports    Write,Describe  topic  keyproject.registry.dlq
reports    Write,Describe  topic  keyproject.milestones.dlq
reports    Write,Describe  topic  keyproject.alerts.dlq
reports    Read,Describe   group  keyproject.reports
registry   Describe        cluster kafka-cluster
milestones Describe        cluster kafka-cluster
alerts     Describe        cluster kafka-cluster
reports    Describe        cluster kafka-cluster
"
while read -r principal operations kind resource; do
  [ -n "$principal" ] || continue
  args=()
  for operation in ${operations//,/ }; do args+=(--operation "$operation"); done
  case "$kind" in
    topic) target=(--topic "$resource") ;;
    group) target=(--group "$resource") ;;
    cluster) target=(--cluster) ;;
  esac
  "$BIN/kafka-acls.sh" --bootstrap-server "$LOCAL" --add --allow-principal "User:$principal" "${args[@]}" \
    "${target[@]}" >/dev/null
done <<< "$ACLS"

touch /tmp/provisioned
wait "$broker"
