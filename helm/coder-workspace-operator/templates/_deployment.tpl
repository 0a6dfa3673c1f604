{{/*
One operator Deployment: the main one (shard nil) or one of .Values.shards.
Called with (dict "root" $ "shard" <entry or nil> "selector" <label selector or
""> "leaseId" <Lease name or "">) from deployment.yaml. Sharding by label:
README.md "Sharding".
*/}}
{{- define "cwo.deployment" -}}
{{- $root := .root }}
{{- $replicas := $root.Values.replicaCount }}
{{- if and .shard .shard.replicaCount }}
{{- $replicas = .shard.replicaCount }}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "cwo.deploymentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "cwo.labels" $root | nindent 4 }}
    {{- with .shard }}
    coderops.dev/operator-shard: {{ .name }}
    {{- end }}
spec:
  {{- /* Only the Lease holder reconciles; more replicas give fast fail-over. */}}
  replicas: {{ $replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "cwo.deploymentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cwo.podLabels" . | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $root.Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "cwo.serviceAccountName" $root }}
      automountServiceAccountToken: true
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      {{- with $root.Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- /* An entry without a labelSelector gets this Deployment's own selector labels,
      so the replicas of one Deployment (not of every shard together) are spread. */}}
      {{- with $root.Values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- range . }}
        - {{ toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" (include "cwo.deploymentSelectorLabels" $ | fromYaml)))) | indent 10 | trim }}
        {{- end }}
      {{- end }}
      {{- with $root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $root.Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: operator
          image: {{ include "cwo.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # The image's ENTRYPOINT is `node dist/cli/main.js`; these replace its CMD.
          args:
            - run
            {{- with $root.Values.watchNamespaces }}
            - --namespaces={{ join "," . }}
            {{- end }}
            {{- if $root.Values.leaderElection.enabled }}
            - --leader-elect
            - --leader-election-namespace=$(POD_NAMESPACE)
            {{- with .leaseId }}
            - --leader-election-id={{ . }}
            {{- end }}
            - --lease-duration={{ $root.Values.leaderElection.leaseDuration }}
            - --renew-deadline={{ $root.Values.leaderElection.renewDeadline }}
            - --retry-period={{ $root.Values.leaderElection.retryPeriod }}
            {{- end }}
            {{- with .selector }}
            - {{ printf "--watch-label-selector=%s" . | quote }}
            {{- end }}
            - --concurrency={{ $root.Values.concurrency }}
            - --resync={{ $root.Values.resync }}
            - --deletion-policy={{ $root.Values.deletionPolicy }}
            - --max-list-items={{ $root.Values.coderList.maxItems }}
            - --list-deadline={{ $root.Values.coderList.deadline }}
            {{- if $root.Values.metrics.enabled }}
            - --metrics-bind-address=:{{ $root.Values.metrics.port }}
            {{- else }}
            - --metrics-bind-address=0
            {{- end }}
            - --health-probe-bind-address=:{{ $root.Values.healthProbe.port }}
            - --log-level=$(LOG_LEVEL)
          env:
            - name: LOG_LEVEL
              value: {{ $root.Values.logLevel | quote }}
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- with $root.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            {{- if $root.Values.metrics.enabled }}
            - name: metrics
              containerPort: {{ $root.Values.metrics.port }}
              protocol: TCP
            {{- end }}
            - name: probes
              containerPort: {{ $root.Values.healthProbe.port }}
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: probes
            initialDelaySeconds: 10
            periodSeconds: 20
            timeoutSeconds: 2
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: probes
            initialDelaySeconds: 2
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          {{- with $root.Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $root.Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with $root.Values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with $root.Values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
