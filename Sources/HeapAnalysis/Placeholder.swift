public enum HeapAnalysisPlaceholder {}
