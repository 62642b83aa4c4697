// Errors of --ingot-set-routing.
//
// A top-k rule asking for more experts than a layer has is reported on the
// ingot.route:
// RUN: ingot-opt %s --split-input-file --ingot-set-routing="rule=top-k:9" --verify-diagnostics
//
// A malformed rule fails when the pass is initialized, before any op is seen,
// so its error has no location: these runs check the message with FileCheck.
//
// An unknown rule name.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-n:2" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: invalid routing rule 'top-n:2': unknown rule 'top-n' (expected top-k:K, top-p:P[,max=M] or threshold:T[,max=M])
//
// No rule at all (the option's default is empty).
// RUN: not ingot-opt %s --ingot-set-routing 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: invalid routing rule '': unknown rule ''
//
// The underscore spelling of the attribute is not the option's syntax.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top_k:2" 2>&1 | FileCheck %s --check-prefix=UNDERSCORE
// UNDERSCORE: error: invalid routing rule 'top_k:2': unknown rule 'top_k'
//
// K = 0.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-k:0" 2>&1 | FileCheck %s --check-prefix=K-ZERO
// K-ZERO: error: invalid routing rule 'top-k:0': K must be an integer >= 1 (expected top-k:K, top-p:P[,max=M] or threshold:T[,max=M])
//
// A fractional K.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-k:1.5" 2>&1 | FileCheck %s --check-prefix=K-FRACTION
// K-FRACTION: error: invalid routing rule 'top-k:1.5': K must be an integer >= 1
//
// No K.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-k" 2>&1 | FileCheck %s --check-prefix=K-MISSING
// K-MISSING: error: invalid routing rule 'top-k': K must be an integer >= 1
//
// top-k with a max option.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-k:2,max=4" 2>&1 | FileCheck %s --check-prefix=K-OPTIONS
// K-OPTIONS: error: invalid routing rule 'top-k:2,max=4': top-k takes no options (expected top-k:K, top-p:P[,max=M] or threshold:T[,max=M])
//
// A top-p probability above 1.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-p:1.5" 2>&1 | FileCheck %s --check-prefix=P-ABOVE
// P-ABOVE: error: invalid routing rule 'top-p:1.5': the probability must be in (0, 1] (expected top-k:K, top-p:P[,max=M] or threshold:T[,max=M])
//
// A top-p probability that is not a number.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-p:half" 2>&1 | FileCheck %s --check-prefix=P-TEXT
// P-TEXT: error: invalid routing rule 'top-p:half': the probability must be in (0, 1]
//
// A threshold of 0.
// RUN: not ingot-opt %s --ingot-set-routing="rule=threshold:0" 2>&1 | FileCheck %s --check-prefix=T-ZERO
// T-ZERO: error: invalid routing rule 'threshold:0': the probability must be in (0, 1]
//
// max=0 (the attribute's "no cap" is written by leaving the option out).
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-p:0.6,max=0" 2>&1 | FileCheck %s --check-prefix=MAX-ZERO
// MAX-ZERO: error: invalid routing rule 'top-p:0.6,max=0': the option must be max=M with M >= 1 (expected top-k:K, top-p:P[,max=M] or threshold:T[,max=M])
//
// A max that is not an integer.
// RUN: not ingot-opt %s --ingot-set-routing="rule=threshold:0.1,max=2.5" 2>&1 | FileCheck %s --check-prefix=MAX-FRACTION
// MAX-FRACTION: error: invalid routing rule 'threshold:0.1,max=2.5': the option must be max=M with M >= 1
//
// An option other than max.
// RUN: not ingot-opt %s --ingot-set-routing="rule=top-p:0.6,min=2" 2>&1 | FileCheck %s --check-prefix=MAX-NAME
// MAX-NAME: error: invalid routing rule 'top-p:0.6,min=2': the option must be max=M with M >= 1

// A layer of 8 experts cannot route each token to 9 of them.
func.func @top_k_more_than_experts(%l: tensor<?x8xf32>) {
  // expected-error @+1 {{routing rule asks for 9 experts but this layer has 8}}
  %off, %ids, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return
}

// -----

// The error names the first layer that has too few experts; a layer whose
// expert count is dynamic is not checked.
func.func @second_layer_too_small(%l0: tensor<?x?xf32>, %l1: tensor<?x4xf32>) {
  %o0, %e0, %w0 = ingot.route %l0 {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x?xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  // expected-error @+1 {{routing rule asks for 9 experts but this layer has 4}}
  %o1, %e1, %w1 = ingot.route %l1 {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring sigmoid>} : tensor<?x4xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return
}
