{{- define "baseline.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /* Overrides must name a guarded namespace: a typo would otherwise silently do nothing. */}}
{{- define "baseline.checkOverrides" -}}
{{- range $name, $_ := .Values.namespaceOverrides }}
{{- if not (has $name $.Values.namespaces) }}
{{- fail (printf "namespaceOverrides.%s: no app enabled in this environment runs in namespace %s (guarded: %s)" $name $name (join ", " $.Values.namespaces)) }}
{{- end }}
{{- end }}
{{- end -}}
