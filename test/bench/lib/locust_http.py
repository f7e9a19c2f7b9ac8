from locust import HttpUser, constant, task


class Bench(HttpUser):
    wait_time = constant(0)

    @task
    def root(self):
        self.client.get("/")
