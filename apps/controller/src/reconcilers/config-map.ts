import { priceCatalogAnnotation } from '@aigw/gateway-config';

import type { Reconciler } from '../runtime/contracts.js';
import { enqueueAnnotatedGatewayConfigs } from './gateway-config.js';

/**
 * ConfigMap (only those labelled `aigateway.envoyproxy.io/price-catalog`) → the GatewayConfigs of
 * its namespace whose price-catalog annotation names it, on create, update and delete (→ their
 * Gateways, whose config carries the catalog).
 */
export function configMapReconciler(): Reconciler {
  return (ref, context) => {
    enqueueAnnotatedGatewayConfigs(context, { annotation: priceCatalogAnnotation, ref });
    return Promise.resolve({});
  };
}
