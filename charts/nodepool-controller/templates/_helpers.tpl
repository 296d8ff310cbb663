{{/* The chart's name. */}}
{{- define "nodepool-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The full name of the release's objects: nodepool-controller unless overridden. */}}
{{- define "nodepool-controller.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Pod selector (stable across upgrades). */}}
{{- define "nodepool-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nodepool-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "nodepool-controller.labels" -}}
{{ include "nodepool-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The ServiceAccount the controller runs as. */}}
{{- define "nodepool-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nodepool-controller.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image reference: repository[:tag][@digest]. */}}
{{- define "nodepool-controller.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- if .Values.image.tag -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- end -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The namespace of the leader-election Lease. */}}
{{- define "nodepool-controller.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace -}}
{{- end -}}

{{/* The rules the controller needs on NodePools, their Secrets and Events (one copy for the
ClusterRole and the per-namespace Roles). Exactly what the controller calls. */}}
{{- define "nodepool-controller.rules" -}}
# Watch NodePools; add and remove the finalizer (server-side apply = patch).
- apiGroups: [cloud.nodepool.dev]
  resources: [nodepools]
  verbs: [get, list, watch, patch]
# Write status by server-side apply.
- apiGroups: [cloud.nodepool.dev]
  resources: [nodepools/status]
  verbs: [patch]
# Read the credentials Secret a NodePool names; watch Secrets' metadata so a rotated Secret is
# picked up at once.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch]
# Events on NodePools.
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
