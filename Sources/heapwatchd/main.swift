print("heapwatchd")
