"""The fault suite (`make faults`): real Kafka, store and service processes, a counted
workload, one fault injected mid-workload, then a reconciliation of what was accepted
against what every consumer applied."""
