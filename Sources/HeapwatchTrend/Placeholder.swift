public enum HeapwatchTrendPlaceholder {}
