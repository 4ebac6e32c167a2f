# Replace a named graph by a staging graph in one SPARQL Update request: the store applies
# it as one operation, so readers see the old graph or the new one, never a half-written
# graph. `guidebook push` uploads each graph to a fresh staging graph first (Graph Store
# Protocol PUT), checks its triple count, then sends this.
#
# MOVE takes no variables, so the two placeholder IRIs below are replaced by the real
# graph IRIs, each written by pyoxigraph as an N-Triples IRI (checked and escaped); no
# other text is ever inserted.
MOVE GRAPH <urn:guidebook-kg:staging-graph> TO GRAPH <urn:guidebook-kg:target-graph>
