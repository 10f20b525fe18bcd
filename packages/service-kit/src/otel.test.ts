import { describe, expect, it } from 'vitest';
import {
  otlpMetricsSettings as metrics,
  OtlpSettingsError,
  otlpTracesSettings as traces,
} from './otel.js';

const otlpMetricsSettings = (env: Record<string, string>) => metrics(env, 'aigw-extproc');
const otlpTracesSettings = (env: Record<string, string>) => traces(env, 'aigw-extproc');

describe('otlpMetricsSettings (the standard OTEL_* variables)', () => {
  it('is off by default, and with OTEL_SDK_DISABLED or OTEL_METRICS_EXPORTER=none', () => {
    expect(otlpMetricsSettings({})).toBeUndefined();
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(otlpMetricsSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(otlpMetricsSettings({ ...endpoint, OTEL_METRICS_EXPORTER: 'none' })).toBeUndefined();
    expect(otlpMetricsSettings({ OTEL_METRICS_EXPORTER: 'prometheus' })).toBeUndefined();
  });

  it('is on with an OTLP endpoint (generic or metrics) or OTEL_METRICS_EXPORTER=otlp', () => {
    const defaults = { protocol: 'http/protobuf', intervalMs: 60_000, serviceName: 'aigw-extproc' };
    expect(otlpMetricsSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual(defaults);
    expect(
      otlpMetricsSettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' }),
    ).toEqual(defaults);
    expect(otlpMetricsSettings({ OTEL_METRICS_EXPORTER: 'console, otlp' })).toEqual(defaults);
  });

  it('reads the protocol (metrics-specific first), the interval and the service name', () => {
    expect(
      otlpMetricsSettings({
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
        OTEL_SERVICE_NAME: 'edge-extproc',
      }),
    ).toEqual({ protocol: 'grpc', intervalMs: 5_000, serviceName: 'edge-extproc' });
  });

  it('refuses an unknown protocol or a bad interval with a clear error', () => {
    const on = { OTEL_METRICS_EXPORTER: 'otlp' };
    expect(() => otlpMetricsSettings({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' })).toThrow(
      new OtlpSettingsError(
        "OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' is not one of grpc, http/protobuf, http/json",
      ),
    );
    for (const interval of ['0', '-5', '1.5', 'soon']) {
      expect(() => otlpMetricsSettings({ ...on, OTEL_METRIC_EXPORT_INTERVAL: interval })).toThrow(
        OtlpSettingsError,
      );
    }
  });
});

describe('otlpTracesSettings', () => {
  it('follows the metrics rules with the traces variables, and captures no content by default', () => {
    expect(otlpTracesSettings({})).toBeUndefined();
    expect(otlpTracesSettings({ OTEL_METRICS_EXPORTER: 'otlp' })).toBeUndefined();
    expect(
      otlpTracesSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_TRACES_EXPORTER: 'none',
      }),
    ).toBeUndefined();
    expect(
      otlpTracesSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }),
    ).toEqual({ protocol: 'http/protobuf', serviceName: 'aigw-extproc', captureContent: false });
    expect(
      otlpTracesSettings({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'TRUE',
      }),
    ).toEqual({ protocol: 'grpc', serviceName: 'aigw-extproc', captureContent: true });
  });
});
