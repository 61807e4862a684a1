def main():
    print("datalit")
