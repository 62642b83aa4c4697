// RUN: ingot-opt %s --ingot-set-routing="rule=top-k:2" --split-input-file | FileCheck %s --check-prefix=TOPK
// RUN: ingot-opt %s --ingot-set-routing="rule=top-p:0.6" --split-input-file | FileCheck %s --check-prefix=TOPP
// RUN: ingot-opt %s --ingot-set-routing="rule=top-p:0.9,max=4" --split-input-file | FileCheck %s --check-prefix=TOPPMAX
// RUN: ingot-opt %s --ingot-set-routing="rule=threshold:0.1" --split-input-file | FileCheck %s --check-prefix=THRESH
// RUN: ingot-opt %s --ingot-set-routing="rule=threshold:0.05,max=8" --split-input-file | FileCheck %s --check-prefix=THRESHMAX
// RUN: ingot-opt %s --ingot-set-routing="rule=top-k:8" --split-input-file | FileCheck %s --check-prefix=TOPKALL
// The rewritten rules print in a form that parses back.
// RUN: ingot-opt %s --ingot-set-routing="rule=top-p:0.9,max=4" --split-input-file | ingot-opt --split-input-file | FileCheck %s --check-prefix=TOPPMAX

// One route op, softmax scoring with renormalize: only the rule changes.
// TOPK-LABEL: func.func @one_route
// TOPK-SAME:    (%[[L:.*]]: tensor<?x8xf32>)
// TOPK:         %[[O:.*]], %[[E:.*]], %[[W:.*]] = ingot.route %[[L]] {renormalize, rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
// TOPK:         return %[[O]], %[[E]], %[[W]]

// TOPP-LABEL: func.func @one_route
// TOPP:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<top_p, p = 6.000000e-01, max = 0>, scoring = #ingot<scoring softmax>}

// TOPPMAX-LABEL: func.func @one_route
// TOPPMAX:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<top_p, p = 9.000000e-01, max = 4>, scoring = #ingot<scoring softmax>}

// THRESH-LABEL: func.func @one_route
// THRESH:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<threshold, t = 1.000000e-01, max = 0>, scoring = #ingot<scoring softmax>}

// THRESHMAX-LABEL: func.func @one_route
// THRESHMAX:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<threshold, t = 5.000000e-02, max = 8>, scoring = #ingot<scoring softmax>}

// TOPKALL-LABEL: func.func @one_route
// TOPKALL:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<top_k, k = 8>, scoring = #ingot<scoring softmax>}
func.func @one_route(%logits: tensor<?x8xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_p, p = 0.5>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}

// -----

// Sigmoid scoring without renormalize: both stay as they were (no
// renormalize appears).
// TOPK-LABEL: func.func @sigmoid_route
// TOPK-SAME:    (%[[L:.*]]: tensor<5x16xf16>)
// TOPK:         %[[O:.*]], %[[E:.*]], %[[W:.*]] = ingot.route %[[L]] {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring sigmoid>} : tensor<5x16xf16> -> tensor<6xi32>, tensor<?xi32>, tensor<?xf16>
// TOPK:         return %[[O]], %[[E]], %[[W]]

// TOPPMAX-LABEL: func.func @sigmoid_route
// TOPPMAX:         ingot.route %{{.*}} {rule = #ingot.routing<top_p, p = 9.000000e-01, max = 4>, scoring = #ingot<scoring sigmoid>}

// THRESHMAX-LABEL: func.func @sigmoid_route
// THRESHMAX:         ingot.route %{{.*}} {rule = #ingot.routing<threshold, t = 5.000000e-02, max = 8>, scoring = #ingot<scoring sigmoid>}
func.func @sigmoid_route(%logits: tensor<5x16xf16>) -> (tensor<6xi32>, tensor<?xi32>, tensor<?xf16>) {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<threshold, t = 0.2>, scoring = #ingot<scoring sigmoid>} : tensor<5x16xf16> -> tensor<6xi32>, tensor<?xi32>, tensor<?xf16>
  return %o, %e, %w : tensor<6xi32>, tensor<?xi32>, tensor<?xf16>
}

// -----

// Every route op of the module is rewritten, whatever its old rule, in
// every function; each keeps its own scoring and renormalize.
// TOPK-LABEL: func.func @layer0
// TOPK:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>}
// TOPK:         ingot.route %{{.*}} {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring sigmoid>}
// TOPK-LABEL: func.func @layer1
// TOPK:         ingot.route %{{.*}} {renormalize, rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring sigmoid>}
// TOPK-NOT:     #ingot.routing<top_p
// TOPK-NOT:     #ingot.routing<threshold

// TOPP-LABEL: func.func @layer0
// TOPP-COUNT-2: rule = #ingot.routing<top_p, p = 6.000000e-01, max = 0>
// TOPP-LABEL: func.func @layer1
// TOPP:         rule = #ingot.routing<top_p, p = 6.000000e-01, max = 0>
// TOPP-NOT:     #ingot.routing<threshold

// THRESH-LABEL: func.func @layer0
// THRESH-COUNT-2: rule = #ingot.routing<threshold, t = 1.000000e-01, max = 0>
// THRESH-LABEL: func.func @layer1
// THRESH:         rule = #ingot.routing<threshold, t = 1.000000e-01, max = 0>
// THRESH-NOT:     #ingot.routing<top_p
func.func @layer0(%a: tensor<?x8xf32>, %b: tensor<?x32xbf16>) -> (tensor<?xf32>, tensor<?xbf16>) {
  %o0, %e0, %w0 = ingot.route %a {rule = #ingot.routing<top_p, p = 0.5>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %o1, %e1, %w1 = ingot.route %b {rule = #ingot.routing<threshold, t = 0.3>, scoring = #ingot<scoring sigmoid>} : tensor<?x32xbf16> -> tensor<?xi32>, tensor<?xi32>, tensor<?xbf16>
  return %w0, %w1 : tensor<?xf32>, tensor<?xbf16>
}
func.func @layer1(%a: tensor<?x64xf32>) -> tensor<?xf32> {
  %o, %e, %w = ingot.route %a {rule = #ingot.routing<top_p, p = 0.75>, scoring = #ingot<scoring sigmoid>, renormalize} : tensor<?x64xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %w : tensor<?xf32>
}

// -----

// A top-k rule is replaced like any other, here by top-k with another k.
// TOPK-LABEL: func.func @from_top_k
// TOPK:         ingot.route %{{.*}} {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>}
// TOPK-NOT:     k = 6

// TOPPMAX-LABEL: func.func @from_top_k
// TOPPMAX:         ingot.route %{{.*}} {rule = #ingot.routing<top_p, p = 9.000000e-01, max = 4>, scoring = #ingot<scoring softmax>}
func.func @from_top_k(%logits: tensor<?x64xf32>) -> tensor<?xf32> {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 6>, scoring = #ingot<scoring softmax>} : tensor<?x64xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %w : tensor<?xf32>
}

// -----

// A module without route ops is left as it is.
// TOPK-LABEL: func.func @no_route
// TOPK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// TOPK:         %[[Y:.*]] = ingot.silu %[[X]]
// TOPK:         return %[[Y]]
func.func @no_route(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ingot.silu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
