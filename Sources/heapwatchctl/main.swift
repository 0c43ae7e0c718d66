print("heapwatchctl")
