{{/*
Chart name, truncated to a DNS label.
*/}}
{{- define "cwo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the prefix of every resource name.
*/}}
{{- define "cwo.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
chart label value: name-version.
*/}}
{{- define "cwo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of the release (Deployment selectors are immutable).
*/}}
{{- define "cwo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cwo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Standard labels on every object.
*/}}
{{- define "cwo.labels" -}}
helm.sh/chart: {{ include "cwo.chart" . }}
{{ include "cwo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: coder-workspace-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "cwo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cwo.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of one operator Deployment (dict "root" $ "shard" <entry or nil>): the main one keeps
the release's full name; a shard's adds its name.
*/}}
{{- define "cwo.deploymentName" -}}
{{- if .shard }}
{{- printf "%s-%s" (include "cwo.fullname" .root) .shard.name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- include "cwo.fullname" .root }}
{{- end }}
{{- end }}

{{/*
Selector labels of one operator Deployment. The main one's are the release's, unchanged
since before sharding (a Deployment's selector is immutable); a shard's name the shard in
app.kubernetes.io/instance, so no Deployment's selector matches another one's Pods.
*/}}
{{- define "cwo.deploymentSelectorLabels" -}}
{{- if .shard -}}
app.kubernetes.io/name: {{ include "cwo.name" .root }}
app.kubernetes.io/instance: {{ printf "%s-%s" .root.Release.Name .shard.name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- include "cwo.selectorLabels" .root }}
{{- end }}
{{- end }}

{{/*
Labels of one operator Deployment's Pods: the standard ones, with its selector labels.
*/}}
{{- define "cwo.podLabels" -}}
helm.sh/chart: {{ include "cwo.chart" .root }}
{{ include "cwo.deploymentSelectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: coder-workspace-operator
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .shard }}
coderops.dev/operator-shard: {{ .name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest, or repository:tag (tag defaults to appVersion).
*/}}
{{- define "cwo.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Connection: the namespace of the connection's Secret (and of a CoderConnection).
*/}}
{{- define "cwo.connection.namespace" -}}
{{- default .Release.Namespace .Values.connection.namespace }}
{{- end }}

{{/*
Connection: the name of the Secret holding the token.
*/}}
{{- define "cwo.connection.secretName" -}}
{{- if .Values.connection.existingSecret }}
{{- .Values.connection.existingSecret }}
{{- else }}
{{- printf "%s-%s-token" (include "cwo.fullname" .) .Values.connection.name | trunc 253 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Namespaces (other than the watched ones) in which the operator may GET Secrets when
watchNamespaces is set. Rendered as a comma-separated list, possibly empty.
*/}}
{{- define "cwo.extraSecretNamespaces" -}}
{{- $out := list }}
{{- range .Values.extraSecretNamespaces }}
{{- if not (has . $.Values.watchNamespaces) }}
{{- $out = append $out . }}
{{- end }}
{{- end }}
{{- if and .Values.connection.create (eq .Values.connection.kind "ClusterCoderConnection") }}
{{- $ns := include "cwo.connection.namespace" . }}
{{- if not (has $ns .Values.watchNamespaces) }}
{{- $out = append $out $ns }}
{{- end }}
{{- end }}
{{- $out | uniq | join "," }}
{{- end }}

{{/*
Checks of combinations the schema cannot express; included by the Deployment.
*/}}
{{- define "cwo.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount is %d but leaderElection.enabled is false: several replicas would reconcile the same Workspaces at once. Set leaderElection.enabled=true, or replicaCount=1." (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled=true." }}
{{- end }}
{{- $shardNames := list }}
{{- range .Values.shards }}
{{- if has .name $shardNames }}
{{- fail (printf "shards: %q is listed twice; each shard needs a name of its own (its Deployment and Lease are named after it)." .name) }}
{{- end }}
{{- $shardNames = append $shardNames .name }}
{{- if and (gt (int (.replicaCount | default 1)) 1) (not $.Values.leaderElection.enabled) }}
{{- fail (printf "shards: %q has replicaCount %d but leaderElection.enabled is false: its replicas would reconcile the same Workspaces at once." .name (int .replicaCount)) }}
{{- end }}
{{- end }}
{{- if and .Values.prometheusRule.enabled (not .Values.metrics.enabled) }}
{{- fail "prometheusRule.enabled needs metrics.enabled=true: the alerts read the operator's metrics." }}
{{- end }}
{{- if eq (int .Values.metrics.port) (int .Values.healthProbe.port) }}
{{- fail "metrics.port and healthProbe.port must differ." }}
{{- end }}
{{- if .Values.connection.create }}
{{- if not .Values.connection.url }}
{{- fail "connection.create is true: set connection.url (e.g. https://coder.example.com)." }}
{{- end }}
{{- if and .Values.connection.token .Values.connection.existingSecret }}
{{- fail "connection: set only one of connection.token and connection.existingSecret." }}
{{- end }}
{{- if not (or .Values.connection.token .Values.connection.existingSecret) }}
{{- fail "connection.create is true: set connection.existingSecret (a Secret holding the token) or connection.token." }}
{{- end }}
{{- if and (eq .Values.connection.kind "CoderConnection") .Values.watchNamespaces (not (has (include "cwo.connection.namespace" .) .Values.watchNamespaces)) }}
{{- fail (printf "connection: the CoderConnection would be in namespace %q, which is not in watchNamespaces; the operator would never see it. Set connection.namespace to a watched namespace." (include "cwo.connection.namespace" .)) }}
{{- end }}
{{- if and (eq .Values.connection.kind "CoderConnection") .Values.connection.allow }}
{{- fail "connection.allow is only for connection.kind=ClusterCoderConnection." }}
{{- end }}
{{- end }}
{{- end }}
