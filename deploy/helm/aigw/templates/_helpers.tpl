{{/* The chart's name. */}}
{{- define "aigw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object name: the release name, or `<release>-aigw`. Short enough for `-extension-server`. */}}
{{- define "aigw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "aigw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: aigw
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one app: (dict "ctx" $ "app" "controller"). */}}
{{- define "aigw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aigw.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .app }}
{{- end -}}

{{/* All labels of one app's objects: (dict "ctx" $ "app" "controller"). */}}
{{- define "aigw.appLabels" -}}
{{ include "aigw.labels" .ctx }}
{{ include "aigw.selectorLabels" . }}
{{- end -}}

{{/* The image of an app: (dict "ctx" $ "image" .Values.controller.image). */}}
{{- define "aigw.image" -}}
{{- $g := .ctx.Values.global.image -}}
{{- $tag := .image.tag | default $g.tag | default .ctx.Chart.AppVersion -}}
{{- if $g.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $g.registry) .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The webhook's MutatingWebhookConfiguration (cluster-scoped: the namespace keeps releases apart). */}}
{{- define "aigw.webhookConfigName" -}}
{{- printf "%s-webhook.%s" (include "aigw.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* The Secret of the webhook's serving certificate. */}}
{{- define "aigw.webhookCertSecret" -}}
{{- printf "%s-webhook-tls" (include "aigw.fullname" .) -}}
{{- end -}}

{{/* The Redis URL of the rate-limit service, empty for the memory store. */}}
{{- define "aigw.redisUrl" -}}
{{- if .Values.ratelimit.redis.deploy -}}
{{- printf "redis://%s-redis:6379" (include "aigw.fullname" .) -}}
{{- else -}}
{{- .Values.ratelimit.redis.url -}}
{{- end -}}
{{- end -}}

{{/* Namespaces of the controller's Roles in namespaced mode (watched ones plus Envoy Gateway's). */}}
{{- define "aigw.controllerNamespaces" -}}
{{- $all := concat .Values.controller.watch.namespaces (list .Values.envoyGateway.namespace) -}}
{{- toJson (uniq $all) -}}
{{- end -}}

{{/* The parts of a pod spec every app shares: (dict "ctx" $ "app" .Values.controller "sa" "<name>"). */}}
{{- define "aigw.podCommon" -}}
serviceAccountName: {{ .sa }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .ctx.Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .app.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .app.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .app.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Logging flags of an app. */}}
{{- define "aigw.logArgs" -}}
- --log-level={{ .logLevel }}
- --log-format={{ .logFormat }}
{{- end -}}

{{/* Extra args of an app. */}}
{{- define "aigw.extraArgs" -}}
{{- range .extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* PodDisruptionBudget of an app: (dict "ctx" $ "app" .Values.controller "name" "controller"). */}}
{{- define "aigw.pdb" -}}
{{- if .app.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "aigw.fullname" .ctx }}-{{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "aigw.appLabels" (dict "ctx" .ctx "app" .name) | nindent 4 }}
spec:
  maxUnavailable: {{ .app.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "aigw.selectorLabels" (dict "ctx" .ctx "app" .name) | nindent 6 }}
{{- end }}
{{- end -}}

{{/* HorizontalPodAutoscaler of an app's Deployment, when enabled: (dict "ctx" $ "app" … "name" …). */}}
{{- define "aigw.hpa" -}}
{{- if .app.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "aigw.fullname" .ctx }}-{{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "aigw.appLabels" (dict "ctx" .ctx "app" .name) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "aigw.fullname" .ctx }}-{{ .name }}
  minReplicas: {{ .app.autoscaling.minReplicas }}
  maxReplicas: {{ .app.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .app.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{/* An ingress NetworkPolicy admitting `ports` (list of port numbers) of an app from anywhere. */}}
{{- define "aigw.networkPolicy" -}}
{{- if .ctx.Values.networkPolicy.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "aigw.fullname" .ctx }}-{{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "aigw.appLabels" (dict "ctx" .ctx "app" .name) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "aigw.selectorLabels" (dict "ctx" .ctx "app" .name) | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - ports:
        {{- range .ports }}
        - protocol: TCP
          port: {{ . }}
        {{- end }}
{{- end }}
{{- end -}}

{{/* The ServiceAccount of an app: (dict "ctx" $ "name" "controller" "automount" true). */}}
{{- define "aigw.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "aigw.fullname" .ctx }}-{{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "aigw.appLabels" (dict "ctx" .ctx "app" .name) | nindent 4 }}
automountServiceAccountToken: {{ .automount }}
{{- end -}}

{{/* Env entries from a list of {name, value} (extraEnv). */}}
{{- define "aigw.extraEnv" -}}
{{- with .extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
  The RBAC rules of files/rbac.yaml, generated from the apps' own rbac.ts (packages/deploy), with
  the names of this release filled in.
*/}}
{{- define "aigw.rbac" -}}
{{- .Files.Get "files/rbac.yaml"
  | replace "__LEASE_NAME__" .Values.controller.leaderElection.id
  | replace "__WEBHOOK_CONFIG_NAME__" (include "aigw.webhookConfigName" .)
  | replace "__CERT_SECRET_NAME__" (include "aigw.webhookCertSecret" .) -}}
{{- end -}}
